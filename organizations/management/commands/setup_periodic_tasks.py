from django.core.management.base import BaseCommand

from config.beat import install_schedules


class Command(BaseCommand):
    help = "Create or update every periodic job (django-celery-beat), by name. Idempotent."

    def handle(self, *args, **options):
        installed, disabled = install_schedules()
        self.stdout.write(self.style.SUCCESS(f"{installed} periodic task(s) installed, {disabled} stale one(s) disabled."))
