from rest_framework import serializers

from config.fields import id_integer
from meetings.models import AttendanceLog, ClassSession, SyncAttempt


class MonthQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
    month = serializers.IntegerField(min_value=1, max_value=12, required=False)


class LogQuerySerializer(serializers.Serializer):
    session_id = id_integer(ClassSession, required=False)
    user_email = serializers.EmailField(required=False)


class AttendanceLogSerializer(serializers.ModelSerializer):
    class_session_id = serializers.IntegerField()
    class_id = serializers.IntegerField(source="class_session.scheduled_class_id")
    class_title = serializers.CharField(source="class_session.scheduled_class.title")
    person_type = serializers.SerializerMethodField()
    person_id = serializers.SerializerMethodField()
    person_name = serializers.SerializerMethodField()
    person_email = serializers.SerializerMethodField()

    class Meta:
        model = AttendanceLog
        fields = [
            "id", "class_session_id", "class_id", "class_title", "session_name", "conference_record", "participant_name",
            "participant_kind", "google_user_id", "display_name", "person_type", "person_id", "person_name", "person_email",
            "joined_at", "left_at", "duration_seconds", "fetched_at",
        ]

    def get_person_type(self, log) -> str:
        return "teacher" if log.teacher_id else "student" if log.student_id else "other"

    def get_person_id(self, log) -> int | None:
        return log.teacher_id or log.student_id

    def get_person_name(self, log) -> str:
        return log.person.full_name if log.person else ""

    def get_person_email(self, log) -> str:
        return log.person.email if log.person else ""


class SyncAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = SyncAttempt
        fields = ["id", "class_session", "trigger", "started_at", "finished_at", "outcome", "error_code", "error",
                  "next_retry_at", "records", "logs_created", "logs_updated"]
