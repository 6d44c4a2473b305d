from django.apps import AppConfig


class GamificationConfig(AppConfig):
    name = "gamification"
    verbose_name = "Gym doors and streaks"

    def ready(self):
        from attendance import plugins
        from gamification.plugin import GymPlugin

        if not any(isinstance(p, GymPlugin) for p in plugins._registered):
            plugins.register(GymPlugin())
