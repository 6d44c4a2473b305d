import importlib
import importlib.util
import logging
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

APPS = ["attendance", "staff", "gamification", "bookings", "meetings"]


class Command(BaseCommand):
    help = "Load the demo organizations with realistic data. Idempotent: a second run changes nothing."

    def handle(self, *args, **options):
        started = time.monotonic()
        # Thousands of demo check-ins would each log an INFO line; the progress lines below say enough.
        logging.disable(logging.INFO)
        try:
            for app in APPS:
                if importlib.util.find_spec(f"{app}.demo") is None:
                    continue
                module = importlib.import_module(f"{app}.demo")
                app_started = time.monotonic()
                summary = module.seed(progress=lambda message, app=app: self.stdout.write(f"  [{app}] {message}"))
                self.stdout.write(f"{app}: {summary} ({time.monotonic() - app_started:.1f}s)")
            call_command("setup_periodic_tasks", stdout=self.stdout)
        finally:
            logging.disable(logging.NOTSET)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f}s."))
        self.stdout.write("Demo logins (password demo1234): owner (superuser, owner everywhere), manager, reception")
