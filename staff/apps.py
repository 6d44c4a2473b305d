from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = "Hotel staff clock"

    def ready(self):
        from attendance import plugins, registry
        from staff import receivers  # noqa: F401 - connects the signal handlers
        from staff.models import Staff
        from staff.plugins import StaffClockPlugin

        registry.register_attendee(Staff, label="staff")
        plugins.register(StaffClockPlugin())
