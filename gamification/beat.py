"""Periodic jobs of this app (installed by `manage.py setup_periodic_tasks`)."""


def schedules() -> list[dict]:
    return []
