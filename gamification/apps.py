from django.apps import AppConfig


class GamificationConfig(AppConfig):
    name = "gamification"
    verbose_name = "Gym doors and streaks"

    def ready(self):
        from attendance import events, plugins
        from gamification.plugin import GymPlugin
        from gamification.receivers import broadcast_gym_refusal

        if not any(isinstance(p, GymPlugin) for p in plugins._registered):
            plugins.register(GymPlugin())
        events.check_in_refused.connect(broadcast_gym_refusal, dispatch_uid="gamification.broadcast_gym_refusal")

        from django.db.models.signals import post_delete, post_save

        from gamification.models import Gym

        post_save.connect(_gym_changed, sender=Gym, dispatch_uid="gamification.forget_gym")
        post_delete.connect(_gym_changed, sender=Gym, dispatch_uid="gamification.forget_gym_deleted")


def _gym_changed(sender, instance, **kwargs):
    """Cache invalidation only: gamification.services.gym_of must not answer from before this change."""
    from gamification.services import forget_gym

    forget_gym(instance.organization_id)
