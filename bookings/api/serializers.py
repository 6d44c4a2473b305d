"""Input and output shapes of the bookings API. Foreign keys are resolved inside the caller's organization."""

from rest_framework import serializers

from attendance.models import Member
from bookings.models import (
    Booking,
    BookingMethod,
    BookingSource,
    ClassPackage,
    ClassType,
    CustomerMembership,
    FitnessClass,
    Instructor,
    MembershipPlan,
    Studio,
    Venue,
    WaitlistEntry,
)
from config.fields import DateTimeField, ModelSerializer, PrimaryKeyRelatedField, column_integer, id_integer


class OrgScopedPKField(PrimaryKeyRelatedField):
    """A primary key that must belong to the organization of the request (else "does not exist")."""

    def get_queryset(self):
        organization = self.context["organization"]
        return super().get_queryset().filter(organization=organization)


class StudioSerializer(ModelSerializer):
    class Meta:
        model = Studio
        fields = ["late_cancel_hours", "late_grace_minutes", "check_in_opens_minutes", "lapsed_after_days"]


class VenueSerializer(ModelSerializer):
    class Meta:
        model = Venue
        fields = ["id", "name", "address", "capacity"]


class InstructorSerializer(ModelSerializer):
    class Meta:
        model = Instructor
        fields = ["id", "name", "email", "specialisations", "user"]
        read_only_fields = ["user"]


class ClassTypeSerializer(ModelSerializer):
    class Meta:
        model = ClassType
        fields = ["id", "name", "duration_minutes", "drop_in_price_pennies", "metadata"]


class FitnessClassSerializer(ModelSerializer):
    class_type = OrgScopedPKField(queryset=ClassType.objects.all())
    venue = OrgScopedPKField(queryset=Venue.objects.all())
    instructors = OrgScopedPKField(queryset=Instructor.objects.all(), many=True, required=False)
    ends_at = DateTimeField(required=False, help_text="Default: start + the class type's duration.")
    capacity = serializers.IntegerField(read_only=True)
    booked = serializers.IntegerField(read_only=True, required=False)
    class_type_name = serializers.CharField(source="class_type.name", read_only=True)
    venue_name = serializers.CharField(source="venue.name", read_only=True)

    class Meta:
        model = FitnessClass
        fields = ["id", "class_type", "class_type_name", "venue", "venue_name", "instructors", "starts_at", "ends_at",
                  "capacity_override", "capacity", "booked", "cancelled_at"]
        read_only_fields = ["cancelled_at"]

    def validate(self, attrs):
        from datetime import timedelta

        if "ends_at" not in attrs and "starts_at" in attrs:
            class_type = attrs.get("class_type") or self.instance.class_type
            attrs["ends_at"] = attrs["starts_at"] + timedelta(minutes=class_type.duration_minutes)
        starts = attrs.get("starts_at", getattr(self.instance, "starts_at", None))
        if attrs.get("ends_at") and starts and attrs["ends_at"] <= starts:
            raise serializers.ValidationError({"ends_at": "The class must end after it starts."})
        return attrs


class MembershipPlanSerializer(ModelSerializer):
    class Meta:
        model = MembershipPlan
        fields = ["id", "name", "price_pennies", "class_limit", "limit_period"]


class CustomerMembershipSerializer(ModelSerializer):
    customer = id_integer(Member, source="customer_id")
    plan = OrgScopedPKField(queryset=MembershipPlan.objects.all())

    class Meta:
        model = CustomerMembership
        fields = ["id", "customer", "plan", "active", "started_on", "ended_on"]


class ClassPackageSerializer(ModelSerializer):
    customer = id_integer(Member, source="customer_id")
    classes_remaining = serializers.IntegerField(read_only=True)

    class Meta:
        model = ClassPackage
        fields = ["id", "customer", "name", "classes_total", "classes_used", "classes_remaining", "price_pennies",
                  "purchased_at", "expires_at"]
        read_only_fields = ["classes_used"]


class BookingSerializer(ModelSerializer):
    class_id = serializers.IntegerField(source="fitness_class_id")
    customer_id = serializers.IntegerField()

    class Meta:
        model = Booking
        fields = ["id", "class_id", "customer_id", "status", "method", "source", "class_starts_at", "booked_at",
                  "cancelled_at", "checked_in_at", "minutes_late", "was_late", "amount_paid_pennies",
                  "refunded_pennies", "package", "membership", "series", "promoted_from_waitlist"]


class WaitlistEntrySerializer(ModelSerializer):
    class_id = serializers.IntegerField(source="fitness_class_id")
    customer_id = serializers.IntegerField()
    position = serializers.IntegerField(read_only=True, required=False)

    class Meta:
        model = WaitlistEntry
        fields = ["id", "class_id", "customer_id", "method", "source", "status", "created_at", "resolved_at",
                  "booking", "skip_code", "position"]


class BookingInputSerializer(serializers.Serializer):
    class_id = id_integer(FitnessClass)
    customer_id = id_integer(Member, required=False, help_text="Default: the caller's own customer record.")
    method = serializers.ChoiceField(choices=BookingMethod.choices, required=False, allow_null=True, default=None,
                                     help_text="Default: membership if valid, else a package, else drop-in.")
    source = serializers.ChoiceField(choices=BookingSource.choices, required=False)
    amount_paid_pennies = column_integer(Booking._meta.get_field("amount_paid_pennies"), required=False, allow_null=True,
                                         default=None)
    waitlist = serializers.BooleanField(default=True, help_text="Join the waitlist when the class is full.")


class SeriesInputSerializer(BookingInputSerializer):
    until = serializers.DateField(help_text="Last local date of the series (included).")


class CancelInputSerializer(serializers.Serializer):
    at = DateTimeField(required=False, allow_null=True, default=None)


class ClassCheckInInputSerializer(serializers.Serializer):
    customer_id = id_integer(Member, required=False)
    qr_token = serializers.CharField(required=False, max_length=64)
    booking_id = id_integer(Booking, required=False)
    class_id = id_integer(FitnessClass, required=False)
    method = serializers.CharField(required=False, default="manual", max_length=32)
    at = DateTimeField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        if not (attrs.get("customer_id") or attrs.get("qr_token") or attrs.get("booking_id")):
            raise serializers.ValidationError("Name the customer (customer_id or qr_token) or the booking (booking_id).")
        return attrs


class CapacityInputSerializer(serializers.Serializer):
    capacity_override = column_integer(FitnessClass._meta.get_field("capacity_override"), allow_null=True)


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    granularity = serializers.ChoiceField(choices=["day", "week", "month"], required=False, default="day")
    lapsed_days = serializers.IntegerField(required=False, min_value=1, max_value=3650)

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": "The end date is before the start date."})
        if attrs.get("start") and attrs.get("end") and (attrs["end"] - attrs["start"]).days > 3 * 366:
            raise serializers.ValidationError({"end": "A report covers at most three years."})
        return attrs


class AttendanceFilterSerializer(PeriodSerializer):
    class_type = id_integer(ClassType, required=False)
    venue = id_integer(Venue, required=False)
    instructor = id_integer(Instructor, required=False)
    customer = id_integer(Member, required=False)
    status = serializers.ChoiceField(choices=["registered", "attended", "late_cancelled", "no_show", "cancelled"], required=False)
    method = serializers.ChoiceField(choices=BookingMethod.choices, required=False)
    was_late = serializers.BooleanField(required=False, allow_null=True, default=None)
