from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "attendance"
    verbose_name = "Attendance engine"

    def ready(self):
        from attendance import registry
        from attendance.models import Member

        registry.register_attendee(Member, label="member")
