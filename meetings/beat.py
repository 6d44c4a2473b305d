"""Periodic jobs of this app (installed by `manage.py setup_periodic_tasks`). Intervals: meetings/conf.py."""

from meetings import conf

ADVANCE = "meetings: start and complete class sessions"
SYNC_ACTIVE = "meetings: fetch participants of active classes"
RETRY_MISSING = "meetings: retry classes missing data"


def schedules() -> list[dict]:
    return [
        {"name": ADVANCE, "task": "meetings.tasks.advance_class_sessions", "every_seconds": conf.ADVANCE_INTERVAL_SECONDS},
        {"name": SYNC_ACTIVE, "task": "meetings.tasks.sync_active_sessions", "every_seconds": conf.SYNC_ACTIVE_INTERVAL_SECONDS},
        {"name": RETRY_MISSING, "task": "meetings.tasks.retry_missing_data", "every_seconds": conf.RETRY_INTERVAL_SECONDS},
    ]
