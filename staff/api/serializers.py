"""Input and output shapes of the staff API."""


from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.fields import DateTimeField, id_integer
from staff.events import iso_utc
from staff.models import Staff
from staff.services import CLOCK_METHODS

MAX_PERIOD_DAYS = 366


@extend_schema_field({"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "09:00"})
class HourMinuteField(serializers.TimeField):
    """A local wall-clock time written HH:MM (OpenAPI's `time` format wants seconds and an offset)."""


class ClockInputSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=CLOCK_METHODS, default="web")


class ClockOutputSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    is_on_duty = serializers.BooleanField()
    clock_time = serializers.CharField(help_text="ISO 8601 UTC with milliseconds, e.g. 2025-11-22T14:30:00.000Z")
    shift_warning = serializers.CharField(required=False,
                                          help_text="Only on a clock-in outside the person's weekly shift: what to tell them.")

    @staticmethod
    def of(result) -> dict:
        return {"success": True, "is_on_duty": result.is_on_duty, "clock_time": iso_utc(result.clock_time)}


class OnBehalfInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="",
        help_text="Why the manager clocks for this person (audit log); missing or blank: 400 `reason_required`.")
    at = DateTimeField(
        required=False, help_text="When it happened; default now. Later than the allowed clock skew: 400 `time_in_future`.")
    method = serializers.ChoiceField(choices=CLOCK_METHODS, default="manual")


class StaffSerializer(serializers.Serializer):
    staff_id = serializers.IntegerField(source="pk")
    user_id = serializers.IntegerField(allow_null=True)
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    department = serializers.CharField()
    position = serializers.CharField()
    is_active = serializers.BooleanField()
    is_on_duty = serializers.BooleanField()
    last_clock_in = serializers.SerializerMethodField()
    last_clock_out = serializers.SerializerMethodField()

    def get_last_clock_in(self, obj) -> str | None:
        return iso_utc(obj.last_clock_in) if obj.last_clock_in else None

    def get_last_clock_out(self, obj) -> str | None:
        return iso_utc(obj.last_clock_out) if obj.last_clock_out else None


class ShiftSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday … 6 = Sunday")
    start_time = HourMinuteField(format="%H:%M")
    end_time = HourMinuteField(format="%H:%M", help_text="At or before start_time: ends the next day.")


class ShiftsInputSerializer(serializers.Serializer):
    shifts = ShiftSerializer(many=True)
    effective_from = serializers.DateField(
        required=False, write_only=True,
        help_text="First local day of the new roster (default today; a first roster applies always). "
                  "Days before keep the roster in force then.")


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="First local date (default: first of this month).")
    end = serializers.DateField(required=False, help_text="Last local date, included (default: today).")
    staff_id = id_integer(Staff, required=False, help_text="One staff member (managers; staff see only themselves).")

    def validate(self, attrs):
        start, end = attrs.get("start"), attrs.get("end")
        if start and end:
            if end < start:
                raise serializers.ValidationError({"end": "The end is before the start."})
            if (end - start).days >= MAX_PERIOD_DAYS:
                raise serializers.ValidationError({"end": f"A period is at most {MAX_PERIOD_DAYS} days."})
        return attrs


class PusherAuthInputSerializer(serializers.Serializer):
    socket_id = serializers.RegexField(r"^\d+\.\d+$", max_length=64)
    channel_name = serializers.CharField(max_length=200)


# --- Response bodies (OpenAPI only: they describe what the selectors return) --------------------


def _money(**kwargs):
    return serializers.DecimalField(max_digits=12, decimal_places=2, **kwargs)


class HotelSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    time_zone = serializers.CharField()


class BoardPersonSerializer(serializers.Serializer):
    staff_id = serializers.IntegerField()
    user_id = serializers.IntegerField(allow_null=True)
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    department = serializers.CharField()
    position = serializers.CharField()


class OnDutySerializer(BoardPersonSerializer):
    since = serializers.DateTimeField(allow_null=True)


class RecentClockSerializer(BoardPersonSerializer):
    is_on_duty = serializers.BooleanField()
    clock_time = serializers.DateTimeField()
    action = serializers.ChoiceField(choices=["clock_in", "clock_out"])
    auto_closed = serializers.BooleanField()


class DepartmentCountSerializer(serializers.Serializer):
    department = serializers.CharField()
    on_duty = serializers.IntegerField()
    total = serializers.IntegerField()


class BoardTotalsSerializer(serializers.Serializer):
    on_duty = serializers.IntegerField()
    staff = serializers.IntegerField()


class BoardSerializer(serializers.Serializer):
    hotel = HotelSerializer()
    at = serializers.DateTimeField()
    on_duty = OnDutySerializer(many=True)
    departments = DepartmentCountSerializer(many=True)
    totals = BoardTotalsSerializer()
    recent = RecentClockSerializer(many=True)


class TimesheetCountsSerializer(serializers.Serializer):
    hours_worked = _money()
    scheduled_hours = _money()
    overtime_hours = _money()
    break_hours = _money()
    pay = _money()
    days_worked = serializers.IntegerField()
    sessions = serializers.IntegerField()
    breaks = serializers.IntegerField(help_text="Gaps between two sessions of one shift day.")
    half_days = serializers.IntegerField()
    late_arrivals = serializers.IntegerField(help_text="Shift days whose first clock-in was late.")
    late_minutes = serializers.IntegerField()
    early_leaves = serializers.IntegerField(help_text="Shift days whose last clock-out was early.")
    auto_closed = serializers.IntegerField()
    open_sessions = serializers.IntegerField()


class TimesheetSessionSerializer(serializers.Serializer):
    check_in_id = serializers.IntegerField()
    clock_in = serializers.DateTimeField()
    clock_out = serializers.DateTimeField(allow_null=True)
    local_in = serializers.CharField(help_text="HH:MM in the hotel's time zone.")
    local_out = serializers.CharField(allow_null=True)
    auto_closed = serializers.BooleanField()
    method = serializers.CharField()


class TimesheetBreakSerializer(serializers.Serializer):
    start = serializers.CharField(help_text="HH:MM clocked out, hotel time.")
    end = serializers.CharField(help_text="HH:MM clocked back in, hotel time.")
    minutes = serializers.IntegerField()


class TimesheetDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    hours_worked = _money()
    scheduled_hours = _money()
    kind = serializers.CharField(help_text="The shift day's kind from its time worked; empty without a shift.")
    late_minutes = serializers.IntegerField(help_text="At the day's first clock-in.")
    early_leave_minutes = serializers.IntegerField(help_text="At the day's last clock-out.")
    break_hours = _money()
    breaks = TimesheetBreakSerializer(many=True)
    hourly_rate = _money()
    sessions = TimesheetSessionSerializer(many=True)


class TimesheetStaffSerializer(TimesheetCountsSerializer):
    staff_id = serializers.IntegerField()
    user_id = serializers.IntegerField(allow_null=True)
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    department = serializers.CharField()
    hourly_rate = _money()
    days = TimesheetDaySerializer(many=True, required=False, help_text="Only when one staff member is asked for.")


class TimesheetSerializer(serializers.Serializer):
    hotel = HotelSerializer()
    start = serializers.DateField()
    end = serializers.DateField()
    staff = TimesheetStaffSerializer(many=True)
    totals = TimesheetCountsSerializer()


class PusherAuthSerializer(serializers.Serializer):
    auth = serializers.CharField(help_text="`key:signature`, as the Pusher client expects.")
    channel_data = serializers.CharField(required=False)
