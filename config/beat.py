"""Every periodic job, declared in one place (each app's beat.schedules()) and installed by name.

An entry: name, task, kwargs (optional), and either every_seconds or crontab (+ timezone).
Schedules that depend on data (a job at each gym's local midnight) are recomputed each time
`setup_periodic_tasks` runs; the command is idempotent.
"""

import importlib
import json

from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

APPS = ["attendance", "staff", "gamification", "bookings", "meetings"]
MANAGED_PREFIXES = tuple(f"{app}:" for app in APPS)


def declared_schedules() -> list[dict]:
    entries = []
    for app in APPS:
        entries.extend(importlib.import_module(f"{app}.beat").schedules())
    return entries


def install_schedules() -> tuple[int, int]:
    """Create or update every declared periodic task; disable managed ones no longer declared."""
    entries = declared_schedules()
    with transaction.atomic():
        for entry in entries:
            defaults = {
                "task": entry["task"],
                "kwargs": json.dumps(entry.get("kwargs", {})),
                "enabled": True,
                "interval": None,
                "crontab": None,
            }
            if "every_seconds" in entry:
                defaults["interval"], _ = IntervalSchedule.objects.get_or_create(
                    every=entry["every_seconds"], period=IntervalSchedule.SECONDS
                )
            else:
                defaults["crontab"], _ = CrontabSchedule.objects.get_or_create(
                    **{"minute": "0", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*",
                       **entry["crontab"]},
                    timezone=entry.get("timezone", "UTC"),
                )
            PeriodicTask.objects.update_or_create(name=entry["name"], defaults=defaults)
        names = {e["name"] for e in entries}
        stale = [t.pk for t in PeriodicTask.objects.filter(enabled=True) if t.name.startswith(MANAGED_PREFIXES) and t.name not in names]
        PeriodicTask.objects.filter(pk__in=stale).update(enabled=False)
    return len(entries), len(stale)
