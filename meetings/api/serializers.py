from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers

from config.fields import id_integer
from meetings.models import AttendanceLog, ClassSession, DataState, RateUnit, SessionStatus, SyncAttempt, SyncOutcome


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


# --- Response bodies (OpenAPI only: they describe what the views and selectors return) ----------


class SyncAttendanceSerializer(serializers.Serializer):
    person_type = serializers.ChoiceField(choices=["teacher", "student"])
    person_id = serializers.IntegerField()
    seconds = serializers.IntegerField()
    ongoing = serializers.BooleanField()


class SyncParticipantsSerializer(serializers.Serializer):
    class_id = serializers.IntegerField()
    class_session_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=SessionStatus.choices)
    data_state = serializers.ChoiceField(choices=DataState.choices)
    outcome = serializers.ChoiceField(choices=SyncOutcome.choices)
    conference_records = serializers.IntegerField()
    logs_created = serializers.IntegerField()
    logs_updated = serializers.IntegerField()
    attendance = SyncAttendanceSerializer(many=True)


class SyncQueuedSerializer(serializers.Serializer):
    queued = serializers.IntegerField()
    class_session_ids = serializers.ListField(child=serializers.IntegerField())


class BillingStudentSerializer(serializers.Serializer):
    student_id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.CharField()
    classes = serializers.IntegerField()
    seconds = serializers.IntegerField()
    minutes = serializers.FloatField()
    amount_cents = serializers.IntegerField()


class BillingFamilySerializer(serializers.Serializer):
    family_id = serializers.IntegerField()
    name = serializers.CharField()
    billing_email = serializers.CharField()
    rate_cents = serializers.IntegerField()
    rate_unit = serializers.ChoiceField(choices=RateUnit.choices)
    seconds = serializers.IntegerField()
    minutes = serializers.FloatField()
    amount_cents = serializers.IntegerField()
    students = BillingStudentSerializer(many=True)


class FamilyBillingSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    month = serializers.IntegerField()
    time_zone = serializers.CharField()
    families = BillingFamilySerializer(many=True)
    total_seconds = serializers.IntegerField()
    total_minutes = serializers.FloatField()
    total_amount_cents = serializers.IntegerField()


class PayrollTeacherSerializer(serializers.Serializer):
    teacher_id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.CharField()
    classes = serializers.IntegerField()
    seconds = serializers.IntegerField()
    minutes = serializers.FloatField()
    rate_cents = serializers.IntegerField()
    rate_unit = serializers.ChoiceField(choices=RateUnit.choices)
    amount_cents = serializers.IntegerField()


class TeacherPayrollSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    month = serializers.IntegerField()
    time_zone = serializers.CharField()
    teachers = PayrollTeacherSerializer(many=True)
    total_seconds = serializers.IntegerField()
    total_amount_cents = serializers.IntegerField()


class MeetAccessSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    message = serializers.CharField()
    account_email = serializers.CharField(allow_blank=True)


class JobStatusSerializer(serializers.Serializer):
    name = serializers.CharField()
    task = serializers.CharField()
    enabled = serializers.BooleanField()
    installed = serializers.BooleanField()
    every_seconds = serializers.IntegerField(allow_null=True)
    last_run_at = serializers.DateTimeField(allow_null=True)
    next_run_at = serializers.DateTimeField(allow_null=True)


class WaitingClassSerializer(serializers.Serializer):
    class_session_id = serializers.IntegerField()
    class_id = serializers.IntegerField()
    title = serializers.CharField()
    completed_at = serializers.DateTimeField(allow_null=True)
    data_state = serializers.ChoiceField(choices=DataState.choices)
    next_retry_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField(allow_blank=True)


class MonitoringStatusSerializer(serializers.Serializer):
    meet_access = MeetAccessSerializer()
    jobs = JobStatusSerializer(many=True)
    recent_failures = SyncAttemptSerializer(many=True)
    classes_waiting_for_data = WaitingClassSerializer(many=True)


def month_report(serializer) -> dict:
    """A month report's answers: the JSON body, or its table with `?format=csv`."""
    return {(200, "application/json"): serializer, (200, "text/csv"): OpenApiTypes.STR}
