"""Input and output shapes of the staff API."""

from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from staff.events import iso_utc
from staff.services import CLOCK_METHODS

MAX_PERIOD_DAYS = 366


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
    reason = serializers.CharField(max_length=500, help_text="Why the manager clocks for this person (audit log).")
    at = serializers.DateTimeField(required=False, help_text="When it happened; default now. Not in the future.")
    method = serializers.ChoiceField(choices=CLOCK_METHODS, default="manual")

    def validate_at(self, value):
        if value > timezone.now() + timedelta(minutes=1):
            raise serializers.ValidationError("Cannot clock in the future.")
        return value


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
    start_time = serializers.TimeField(format="%H:%M")
    end_time = serializers.TimeField(format="%H:%M", help_text="At or before start_time: ends the next day.")


class ShiftsInputSerializer(serializers.Serializer):
    shifts = ShiftSerializer(many=True)


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="First local date (default: first of this month).")
    end = serializers.DateField(required=False, help_text="Last local date, included (default: today).")
    staff_id = serializers.IntegerField(required=False, help_text="One staff member (managers; staff see only themselves).")

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
