"""Periodic jobs of this app (installed by `manage.py setup_periodic_tasks`, and again whenever a gym
is configured): one streak reset per gym at 00:00 in the gym's own time zone."""


def schedules() -> list[dict]:
    from gamification.models import Gym

    return [
        {
            "name": f"gamification: streak reset {gym.organization.slug}",
            "task": "gamification.tasks.streak_reset",
            "crontab": {"minute": "0", "hour": "0"},
            "timezone": gym.organization.time_zone,
            "kwargs": {"organization_id": gym.organization_id},
        }
        for gym in Gym.objects.select_related("organization").order_by("pk")
    ]
