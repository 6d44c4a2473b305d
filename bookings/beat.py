"""Periodic jobs of this app (installed by `manage.py setup_periodic_tasks`)."""


def schedules() -> list[dict]:
    return [
        {"name": "bookings: mark no-shows of ended classes", "task": "bookings.tasks.mark_no_shows",
         "every_seconds": 300},
    ]
