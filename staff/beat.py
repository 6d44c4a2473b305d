"""Periodic jobs of this app (installed by `manage.py setup_periodic_tasks`)."""


def schedules() -> list[dict]:
    return [
        {"name": "staff: auto clock-out after shift end + grace", "task": "staff.tasks.auto_checkout_all",
         "every_seconds": 60},
    ]
