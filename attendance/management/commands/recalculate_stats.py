import time

from django.core.management.base import BaseCommand, CommandError

from attendance import services
from organizations.models import Organization


class Command(BaseCommand):
    help = "Rebuild monthly rollups and attendee counters from the raw check-ins."

    def add_arguments(self, parser):
        parser.add_argument("--org", help="Organization slug (default: all).")

    def handle(self, *args, org=None, **options):
        organizations = Organization.objects.all()
        if org:
            organizations = organizations.filter(slug=org)
            if not organizations.exists():
                raise CommandError(f"No organization with slug {org!r}.")
        total = organizations.count()
        started = time.monotonic()
        rollups = 0
        for index, organization in enumerate(organizations, start=1):
            written = services.recalculate_stats(organization=organization)
            rollups += written
            self.stdout.write(f"[{index}/{total}] {organization.slug}: {written} monthly rollup(s) rebuilt")
        self.stdout.write(self.style.SUCCESS(
            f"Done: {total} organization(s), {rollups} rollup(s) in {time.monotonic() - started:.1f}s."
        ))
