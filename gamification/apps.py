from django.apps import AppConfig


class GamificationConfig(AppConfig):
    name = "gamification"
    verbose_name = "Gym doors and streaks"

    def ready(self):
        from attendance import events, plugins, policies
        from gamification.plugins import GYM_POLICY, GymPlugin
        from gamification.receivers import broadcast_gym_refusal

        plugins.register(GymPlugin())
        policies.register(GYM_POLICY)
        events.check_in_refused.connect(broadcast_gym_refusal, dispatch_uid="gamification.broadcast_gym_refusal")
