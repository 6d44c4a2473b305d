from django.core.management.base import BaseCommand

from attendance import services
from organizations.models import Organization


class Command(BaseCommand):
    help = "Close every open session whose expected check-out has passed (at that expected time)."

    def handle(self, *args, **options):
        total = 0
        for organization in Organization.objects.all():
            closed = services.checkout_expired(
                organization=organization, progress=lambda n: self.stdout.write(f"  {n} closed so far")
            )
            total += closed
            self.stdout.write(f"{organization.slug}: {closed} session(s) auto-closed")
        self.stdout.write(self.style.SUCCESS(f"Done: {total} session(s) auto-closed."))
