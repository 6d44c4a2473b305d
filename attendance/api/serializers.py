"""Input and output shapes of the engine's API. Inputs resolve attendees inside the caller's organization."""

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from rest_framework import serializers

from attendance import registry, selectors
from attendance.exceptions import AttendeeNotFound
from attendance.models import CheckIn, Correction, CorrectionKind, Kind, Member, Refusal
from config.fields import DateTimeField, ModelSerializer, column_integer, id_integer

ACTIONS = ["check_in", "check_out"]  # what a toggle did, or what an offline batch item does


def resolve_attendee(organization, data: dict, *, read: bool = True):
    """Find the attendee an input names (type+id, or a member's QR token or RFID tag) in `organization`.

    With `read=False` the answer is a stand-in (id and organization only), for services that lock
    the attendee anyway (check-in, check-out): they read the row once, under the lock, and answer
    404 if it is not in the organization. Type+id then needs no query; a QR token or RFID tag only
    its id.
    """
    if data.get("qr_token") or data.get("rfid_tag"):
        if read:
            lookup = {"qr_token": data["qr_token"]} if data.get("qr_token") else {"rfid_tag": data["rfid_tag"]}
            attendee = Member.objects.filter(organization=organization, **lookup).first()
        else:
            attendee = selectors.member_stand_in(
                organization=organization, qr_token=data.get("qr_token"), rfid_tag=data.get("rfid_tag")
            )
    elif not read:
        return registry.attendee_stand_in(data.get("attendee_type") or "member", data["attendee_id"], organization)
    else:
        model = registry.attendee_model(data.get("attendee_type") or "member")
        attendee = model.objects.filter(organization=organization, pk=data["attendee_id"]).first()
    if attendee is None:
        raise AttendeeNotFound("No such attendee in this organization.")
    return attendee


class AttendeeRefSerializer(serializers.Serializer):
    attendee_type = serializers.CharField(required=False, default="member", help_text="member, staff, ...")
    attendee_id = column_integer(CheckIn._meta.get_field("attendee_id"), required=False, min_value=1)
    qr_token = serializers.CharField(required=False, max_length=64)
    rfid_tag = serializers.CharField(required=False, max_length=64)

    def validate(self, attrs):
        if not (attrs.get("attendee_id") or attrs.get("qr_token") or attrs.get("rfid_tag")):
            raise serializers.ValidationError("Name the attendee: attendee_id (with attendee_type), qr_token or rfid_tag.")
        return attrs


def on_behalf_reason_field():
    return serializers.CharField(
        required=False, default="", allow_blank=True, max_length=500,
        help_text="Why someone records for another person, where the attendee's channel asks for it (a hotel's "
                  "staff: kept in the audit log); missing there: 400 `reason_required`.")


class CheckInInputSerializer(AttendeeRefSerializer):
    method = serializers.CharField(required=False, default="api", max_length=32)
    at = DateTimeField(required=False, help_text="When it happened (default: now). ISO 8601.")
    expected_checkout_at = DateTimeField(required=False, allow_null=True)
    location = serializers.CharField(required=False, default="", allow_blank=True, max_length=120)
    notes = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)
    metadata = serializers.DictField(required=False, default=dict)
    reason = on_behalf_reason_field()

    def validate_method(self, value):
        registry.check_method(value)
        return value

    def validate(self, attrs):
        attrs = super().validate(attrs)
        expected, at = attrs.get("expected_checkout_at"), attrs.get("at") or timezone.now()
        if expected is not None and expected < at:
            raise serializers.ValidationError(
                {"expected_checkout_at": "The expected check-out cannot be before the check-in."})
        return attrs


class CheckOutInputSerializer(AttendeeRefSerializer):
    at = DateTimeField(required=False)
    notes = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)
    reason = on_behalf_reason_field()


class CheckOutByIdInputSerializer(serializers.Serializer):
    at = DateTimeField(required=False)
    notes = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)
    reason = on_behalf_reason_field()


class BulkItemSerializer(AttendeeRefSerializer):
    action = serializers.ChoiceField(choices=ACTIONS)
    at = DateTimeField(help_text="When it happened on the device; the item is judged at this time.")
    event_id = serializers.CharField(max_length=100, help_text="The device's id for this event (its idempotency key).")
    method = serializers.CharField(required=False, max_length=32)
    location = serializers.CharField(required=False, default="", allow_blank=True, max_length=120)
    expected_checkout_at = DateTimeField(
        required=False, allow_null=True, help_text="A check-in's expected end (a gym visit's length, a shift's end)."
    )

    def validate_method(self, value):
        registry.check_method(value)
        return value

    def validate(self, attrs):
        attrs = super().validate(attrs)
        expected = attrs.get("expected_checkout_at")
        if expected is not None and expected < attrs["at"]:
            raise serializers.ValidationError(
                {"expected_checkout_at": "The expected check-out cannot be before the check-in."})
        return attrs


class BulkInputSerializer(serializers.Serializer):
    """The batch (OpenAPI). Each item is validated on its own (BulkEnvelopeSerializer takes the list),
    so one bad item is answered `invalid` while the others are recorded."""

    items = BulkItemSerializer(many=True, allow_empty=False, max_length=1000)


class BulkEnvelopeSerializer(serializers.Serializer):
    items = serializers.ListField(child=serializers.JSONField(), allow_empty=False, max_length=1000)


class CheckInSerializer(serializers.Serializer):
    """A check-in as the API shows it. Fields are declared, not derived from the model: the check-in
    endpoint answers with one per request, and a ModelSerializer rebuilds its fields every time."""

    id = serializers.IntegerField(read_only=True)
    attendee_type = serializers.SerializerMethodField()
    attendee_id = serializers.IntegerField(read_only=True)
    checked_in_at = DateTimeField(read_only=True)
    checked_out_at = DateTimeField(read_only=True, allow_null=True)
    expected_checkout_at = DateTimeField(read_only=True, allow_null=True)
    duration_seconds = serializers.IntegerField(read_only=True, allow_null=True)
    is_open = serializers.BooleanField(read_only=True)
    method = serializers.CharField(read_only=True)
    source = serializers.CharField(read_only=True, help_text="Which app or channel recorded it.")
    kind = serializers.ChoiceField(choices=Kind.choices, read_only=True)
    auto_closed = serializers.BooleanField(read_only=True)
    late_minutes = serializers.IntegerField(read_only=True)
    early_leave_minutes = serializers.IntegerField(read_only=True)
    location = serializers.CharField(read_only=True)
    device = serializers.IntegerField(source="device_id", read_only=True, allow_null=True, help_text="Device key id.")
    notes = serializers.CharField(read_only=True)
    metadata = serializers.JSONField(read_only=True)
    external_id = serializers.CharField(read_only=True, allow_null=True)

    def get_attendee_type(self, obj) -> str:
        return ContentType.objects.get_for_id(obj.attendee_type_id).model

    def to_representation(self, row) -> dict:
        """The fields above, built directly: DRF's generic loop deep-copies all 19 fields for every
        row (0.4 ms per check-in). A test holds this to the generic output field by field."""
        return {
            "id": row.pk,
            "attendee_type": self.get_attendee_type(row),
            "attendee_id": row.attendee_id,
            "checked_in_at": _datetime(row.checked_in_at),
            "checked_out_at": _datetime(row.checked_out_at),
            "expected_checkout_at": _datetime(row.expected_checkout_at),
            "duration_seconds": row.duration_seconds,
            "is_open": row.is_open,
            "method": row.method,
            "source": row.source,
            "kind": row.kind,
            "auto_closed": row.auto_closed,
            "late_minutes": row.late_minutes,
            "early_leave_minutes": row.early_leave_minutes,
            "location": row.location,
            "device": row.device_id,
            "notes": row.notes,
            "metadata": row.metadata,
            "external_id": row.external_id,
        }


_DATETIME_FIELD = DateTimeField()


def _datetime(value):
    return None if value is None else _DATETIME_FIELD.to_representation(value)


class RefusalSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refusal
        fields = ["id", "attendee_id", "attempted_at", "method", "source", "code", "detail", "location", "device", "metadata"]


class MemberSerializer(ModelSerializer):
    # The member's open session (read from its open check-in; see AttendeeMixin.open_session).
    session_active = serializers.BooleanField(read_only=True)
    session_check_in_id = serializers.IntegerField(read_only=True, allow_null=True)
    session_expected_checkout_at = DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Member
        fields = [
            "id", "first_name", "last_name", "email", "phone", "status", "qr_token", "rfid_tag",
            "attendance_enabled", "total_visits", "visits_this_month", "first_visit_at", "last_visit_at",
            "session_active", "session_check_in_id", "session_expected_checkout_at", "created_at",
        ]
        read_only_fields = ["qr_token"]


class CorrectionInputSerializer(AttendeeRefSerializer):
    kind = serializers.ChoiceField(choices=CorrectionKind.choices)
    check_in_id = id_integer(CheckIn, required=False)
    proposed_checked_in_at = DateTimeField(required=False)
    proposed_checked_out_at = DateTimeField(required=False)
    reason = serializers.CharField(max_length=2000)


class DecisionInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)


class CorrectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Correction
        fields = [
            "id", "attendee_id", "check_in", "kind", "proposed_checked_in_at", "proposed_checked_out_at", "reason",
            "status", "submitted_by", "submitted_at", "decided_by", "decided_at", "decision_note",
        ]


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="Local date, default 29 days before end.")
    end = serializers.DateField(required=False, help_text="Local date, default today.")

    def validate(self, attrs):
        # The views pass `today` and `default_days`: the limits hold for the period completed with
        # its defaults too (a year-1 start alone asked for 740,000 days of the dashboard).
        today = self.context.get("today")
        if today is not None:
            attrs["end"] = attrs.get("end") or today
            attrs["start"] = attrs.get("start") or attrs["end"] - timedelta(days=self.context["default_days"] - 1)
        if attrs.get("start") and attrs.get("end") and attrs["start"] > attrs["end"]:
            raise serializers.ValidationError("start must be on or before end.")
        if attrs.get("start") and attrs.get("end") and (attrs["end"] - attrs["start"]).days > 366:
            raise serializers.ValidationError("The period may span at most 366 days.")
        return attrs


# --- Response bodies (OpenAPI only: they describe what the services return) --------------------


class BulkResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the item in the request.")
    event_id = serializers.CharField(allow_null=True, help_text="Null when the item had no usable event_id.")
    status = serializers.ChoiceField(choices=["recorded", "duplicate", "refused", "invalid"])
    check_in_id = serializers.IntegerField(required=False)
    code = serializers.CharField(required=False, help_text="Why it was refused or invalid.")
    detail = serializers.CharField(required=False)
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="An invalid item's problems, per field.",
    )


class BulkOutputSerializer(serializers.Serializer):
    summary = serializers.DictField(child=serializers.IntegerField(), help_text="Count per status.")
    results = BulkResultSerializer(many=True)


class ToggleOutputSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=ACTIONS)
    check_in = CheckInSerializer()


class OccupancySerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_location = serializers.DictField(child=serializers.IntegerField(), help_text="Open sessions per location.")
    at = serializers.DateTimeField()


class DashboardPeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    time_zone = serializers.CharField()


class DashboardTotalsSerializer(serializers.Serializer):
    visits = serializers.IntegerField()
    unique_attendees = serializers.IntegerField()
    enabled_attendees = serializers.IntegerField()
    activation_rate = serializers.FloatField(help_text="Percent of enabled attendees who came.")
    average_visits_per_day = serializers.FloatField()


class DayVisitsSerializer(serializers.Serializer):
    date = serializers.DateField()
    visits = serializers.IntegerField()


class HourVisitsSerializer(serializers.Serializer):
    hour = serializers.IntegerField(min_value=0, max_value=23)
    visits = serializers.IntegerField()


class WeekdayVisitsSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=1, max_value=7, help_text="ISO weekday: 1 is Monday.")
    visits = serializers.IntegerField()


class EngagementBandsSerializer(serializers.Serializer):
    high = serializers.IntegerField()
    medium = serializers.IntegerField()
    low = serializers.IntegerField()
    inactive = serializers.IntegerField()


class TopAttendeeSerializer(serializers.Serializer):
    attendee_type = serializers.CharField()
    attendee_id = serializers.IntegerField()
    name = serializers.CharField()
    visits = serializers.IntegerField()


class AtRiskAttendeeSerializer(serializers.Serializer):
    attendee_type = serializers.CharField()
    attendee_id = serializers.IntegerField()
    name = serializers.CharField()
    last_visit_at = serializers.DateTimeField()
    days_absent = serializers.IntegerField()


class AtRiskSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    count = serializers.IntegerField()
    attendees = AtRiskAttendeeSerializer(many=True)


class DashboardSerializer(serializers.Serializer):
    period = DashboardPeriodSerializer()
    totals = DashboardTotalsSerializer()
    visits_per_day = DayVisitsSerializer(many=True)
    time_slots = HourVisitsSerializer(many=True)
    weekdays = WeekdayVisitsSerializer(many=True)
    engagement = EngagementBandsSerializer()
    top_attendees = TopAttendeeSerializer(many=True)
    at_risk = AtRiskSerializer()


class HistoryAttendeeSerializer(serializers.Serializer):
    attendee_type = serializers.CharField()
    attendee_id = serializers.IntegerField()
    name = serializers.CharField()
    total_visits = serializers.IntegerField()
    first_visit_at = serializers.DateTimeField(allow_null=True)
    last_visit_at = serializers.DateTimeField(allow_null=True)
    checked_in = serializers.BooleanField()


class HistoryPeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class HistorySessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    checked_in_at = serializers.DateTimeField()
    checked_out_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.IntegerField(allow_null=True)
    method = serializers.CharField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    auto_closed = serializers.BooleanField()
    late_minutes = serializers.IntegerField()
    early_leave_minutes = serializers.IntegerField()
    location = serializers.CharField()


class HistoryMonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM, local to the organization.")
    visits = serializers.IntegerField()
    seconds_present = serializers.IntegerField()
    days_present = serializers.IntegerField()
    kinds = serializers.DictField(child=serializers.IntegerField(), help_text="Visits per kind.")


class HistoryQuerySerializer(PeriodSerializer):
    start = serializers.DateField(required=False, help_text="Local date, default 89 days before end (90 days in all).")
    page = serializers.IntegerField(required=False, min_value=1, default=1, help_text="Page of sessions, from 1.")
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=500, default=200,
                                         help_text="Sessions per page (at most 500).")


class HistorySerializer(serializers.Serializer):
    attendee = HistoryAttendeeSerializer()
    period = HistoryPeriodSerializer()
    count = serializers.IntegerField(help_text="Sessions in the period, on every page.")
    next = serializers.URLField(allow_null=True, help_text="The next page of sessions, or null on the last.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page, or null on the first.")
    sessions = HistorySessionSerializer(many=True, help_text="Newest first.")
    months = HistoryMonthSerializer(
        many=True, help_text="The rollups of the months the period touches, newest first; they outlive purged rows.")
