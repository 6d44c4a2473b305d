"""Periodic jobs of the engine (installed by `manage.py setup_periodic_tasks`)."""


def schedules() -> list[dict]:
    return [
        {"name": "attendance: auto check-out of expired sessions", "task": "attendance.tasks.checkout_expired_all",
         "every_seconds": 300},
        {"name": "attendance: retention purge", "task": "attendance.tasks.retention_purge_all",
         "crontab": {"minute": "30", "hour": "3"}, "timezone": "UTC"},
        {"name": "attendance: at-risk notifications", "task": "attendance.tasks.at_risk_notify_all",
         "crontab": {"minute": "0", "hour": "6"}, "timezone": "UTC"},
    ]
