from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = "Online classes (Google Meet)"

    def ready(self):
        from attendance import registry
        from meetings.models import Student, Teacher

        registry.register_attendee(Teacher, label="teacher")
        registry.register_attendee(Student, label="student")
