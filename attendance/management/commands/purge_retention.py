import time

from django.core.management.base import BaseCommand

from attendance import services
from organizations.models import Organization


class Command(BaseCommand):
    help = "Delete check-ins and refusals older than each organization's retention (rollups stay)."

    def handle(self, *args, **options):
        started = time.monotonic()
        total = 0
        for organization in Organization.objects.exclude(retention_days=0):
            def progress(n, slug=organization.slug):
                self.stdout.write(f"  {slug}: {n} row(s) deleted so far")

            deleted = services.retention_purge(organization=organization, progress=progress)
            total += deleted
            self.stdout.write(f"{organization.slug}: kept {organization.retention_days} days, deleted {deleted}")
        self.stdout.write(self.style.SUCCESS(f"Done: {total} row(s) deleted in {time.monotonic() - started:.1f}s."))
