from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    """The outbox of live events and the relay that delivers it (docs/adr-001-outbox.md)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "realtime"
