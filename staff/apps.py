from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = "Hotel staff clock"

    def ready(self):
        from attendance import plugins, policies, registry
        from staff import receivers  # noqa: F401 - connects the signal handlers
        from staff.models import Staff
        from staff.plugins import StaffClockPlugin
        from staff.policies import StaffPolicy
        from staff.services import SOURCE

        registry.register_attendee(Staff, label="staff")
        plugins.register(StaffClockPlugin())
        # A clock button, not a scanner that reads twice: clocking back in a moment later is deliberate.
        # Staff attendees follow it on every route into the engine (staff.policies).
        policies.register(StaffPolicy(
            source=SOURCE, attendee_label="staff", duplicate_scan_seconds=0, on_open_session="refuse",
            overdue_closes_at_expected=True,
            already_open_code="already_on_duty", already_open_message="{name} is already on duty.",
        ))
