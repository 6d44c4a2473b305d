"""Input and output shapes of the bookings API. Foreign keys are resolved inside the caller's organization."""

from datetime import timedelta

from rest_framework import serializers

from attendance.models import Member
from bookings.models import (
    HOLDING_STATUSES,
    Booking,
    BookingMethod,
    BookingSource,
    BookingStatus,
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
    booked = serializers.SerializerMethodField(help_text="Places held (registered or attended).")
    class_type_name = serializers.CharField(source="class_type.name", read_only=True)
    venue_name = serializers.CharField(source="venue.name", read_only=True)

    class Meta:
        model = FitnessClass
        fields = ["id", "class_type", "class_type_name", "venue", "venue_name", "instructors", "starts_at", "ends_at",
                  "capacity_override", "capacity", "booked", "cancelled_at"]
        read_only_fields = ["cancelled_at"]

    def get_booked(self, fitness_class) -> int:
        # Lists annotate the count; a class just created or edited is counted here.
        if hasattr(fitness_class, "booked"):
            return fitness_class.booked
        return fitness_class.bookings.filter(status__in=HOLDING_STATUSES).count()

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

    def validate(self, attrs):
        started = attrs.get("started_on", getattr(self.instance, "started_on", None))
        ended = attrs.get("ended_on", getattr(self.instance, "ended_on", None))
        if started and ended and ended < started:
            raise serializers.ValidationError({"ended_on": "A membership cannot end before it starts."})
        return attrs


class ClassPackageSerializer(ModelSerializer):
    customer = id_integer(Member, source="customer_id")
    classes_remaining = serializers.IntegerField(read_only=True)

    class Meta:
        model = ClassPackage
        fields = ["id", "customer", "name", "classes_total", "classes_used", "classes_remaining", "price_pennies",
                  "purchased_at", "expires_at"]
        read_only_fields = ["classes_used"]
        extra_kwargs = {"classes_total": {"min_value": 1}}

    def validate_classes_total(self, value):
        if self.instance is not None and value < self.instance.classes_used:
            raise serializers.ValidationError(f"{self.instance.classes_used} class(es) of this package are already used.")
        return value


class BookingSerializer(ModelSerializer):
    class_id = serializers.IntegerField(source="fitness_class_id")
    class_starts_at = serializers.DateTimeField(source="fitness_class.starts_at", read_only=True,
                                                help_text="The class's current start.")
    customer_id = serializers.IntegerField()

    class Meta:
        model = Booking
        fields = ["id", "class_id", "customer_id", "status", "method", "source", "class_starts_at", "booked_at",
                  "cancelled_at", "checked_in_at", "minutes_late", "was_late", "amount_paid_pennies",
                  "refunded_pennies", "package", "membership", "series", "promoted_from_waitlist"]


class WaitlistEntrySerializer(ModelSerializer):
    class_id = serializers.IntegerField(source="fitness_class_id")
    customer_id = serializers.IntegerField()

    class Meta:
        model = WaitlistEntry
        fields = ["id", "class_id", "customer_id", "method", "source", "status", "created_at", "resolved_at",
                  "booking", "skip_code"]


class WaitlistPlaceSerializer(WaitlistEntrySerializer):
    """A waiting entry with its place in the queue (1 is next)."""

    position = serializers.IntegerField(read_only=True)

    class Meta(WaitlistEntrySerializer.Meta):
        fields = [*WaitlistEntrySerializer.Meta.fields, "position"]


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
        # A report passes `today` and `default_days` in the context: a missing end is today and a
        # missing start `default_days` before the end, and the limits below hold for those too.
        today = self.context.get("today")
        if today is not None:
            attrs["end"] = attrs.get("end") or today
            attrs["start"] = attrs.get("start") or attrs["end"] - timedelta(days=self.context["default_days"] - 1)
        if attrs.get("start") and attrs.get("end") and attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": "The end date is before the start date."})
        if attrs.get("start") and attrs.get("end") and (attrs["end"] - attrs["start"]).days > 3 * 366:
            raise serializers.ValidationError({"end": "A report covers at most three years."})
        return attrs


class LateArrivalsParamsSerializer(PeriodSerializer):
    order = serializers.ChoiceField(choices=["minutes_late", "class_start"], required=False, default="minutes_late")


class AttendanceFilterSerializer(PeriodSerializer):
    class_type = id_integer(ClassType, required=False)
    venue = id_integer(Venue, required=False)
    instructor = id_integer(Instructor, required=False)
    customer = id_integer(Member, required=False)
    status = serializers.ChoiceField(choices=["registered", "attended", "late_cancelled", "no_show", "cancelled"], required=False)
    method = serializers.ChoiceField(choices=BookingMethod.choices, required=False)
    was_late = serializers.BooleanField(required=False, allow_null=True, default=None)


# --- Response bodies (OpenAPI only: they describe what the views and report selectors return) ---

RATE_HELP = "Percent with one decimal, or null when there is nothing to divide by."


def _rate(**kwargs):
    return serializers.FloatField(allow_null=True, help_text=kwargs.pop("help_text", RATE_HELP), **kwargs)


class BookedSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=["booked"])
    booking = BookingSerializer()


class WaitlistedSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=["waitlisted"])
    waitlist_entry = WaitlistPlaceSerializer()


class SeriesItemSerializer(serializers.Serializer):
    class_id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    result = serializers.ChoiceField(choices=["booked", "waitlisted", "refused"])
    booking_id = serializers.IntegerField(required=False, allow_null=True)
    waitlist_entry_id = serializers.IntegerField(required=False, allow_null=True)
    code = serializers.CharField(required=False, help_text="Why this class was refused.")
    detail = serializers.CharField(required=False)


class SeriesSerializer(serializers.Serializer):
    series_id = serializers.IntegerField()
    summary = serializers.DictField(child=serializers.IntegerField(), help_text="Count per result.")
    items = SeriesItemSerializer(many=True)


class ClassCancelledSerializer(serializers.Serializer):
    bookings_cancelled = serializers.IntegerField()


class ReportPeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class StatusCountsSerializer(serializers.Serializer):
    registered = serializers.IntegerField()
    attended = serializers.IntegerField()
    no_shows = serializers.IntegerField()
    cancellations = serializers.IntegerField()
    late_cancellations = serializers.IntegerField()
    attendance_rate = _rate()
    no_show_rate = _rate()


class StatisticsReportSerializer(StatusCountsSerializer):
    period = ReportPeriodSerializer()
    total_bookings = serializers.IntegerField()
    classes_held = serializers.IntegerField()
    average_class_size = serializers.FloatField(allow_null=True)


class CapacityRowSerializer(serializers.Serializer):
    class_type_id = serializers.IntegerField()
    class_type = serializers.CharField()
    venue_id = serializers.IntegerField()
    venue = serializers.CharField()
    classes = serializers.IntegerField()
    places = serializers.IntegerField()
    bookings = serializers.IntegerField()
    attended = serializers.IntegerField()
    attendance_rate = _rate()
    utilisation = _rate()
    booked_utilisation = _rate()


class CapacityReportSerializer(serializers.Serializer):
    period = ReportPeriodSerializer()
    rows = CapacityRowSerializer(many=True)


class LateBucketSerializer(serializers.Serializer):
    minutes = serializers.CharField(help_text="The bucket's label, e.g. `1-5`.")
    bookings = serializers.IntegerField()


class LateByClassTypeSerializer(serializers.Serializer):
    class_type_id = serializers.IntegerField()
    class_type = serializers.CharField()
    attended = serializers.IntegerField()
    late = serializers.IntegerField()
    late_rate = _rate()
    average_minutes_late = serializers.FloatField(allow_null=True)
    max_minutes_late = serializers.IntegerField()


class LateArrivalsReportSerializer(serializers.Serializer):
    period = ReportPeriodSerializer()
    attended = serializers.IntegerField()
    late = serializers.IntegerField()
    late_rate = _rate()
    average_minutes_late = serializers.FloatField(allow_null=True)
    minutes_late_buckets = LateBucketSerializer(many=True)
    by_class_type = LateByClassTypeSerializer(many=True)


class TimelineRowSerializer(StatusCountsSerializer):
    period_start = serializers.DateField()
    total_bookings = serializers.IntegerField()


class TimelineReportSerializer(serializers.Serializer):
    period = ReportPeriodSerializer()
    granularity = serializers.ChoiceField(choices=["day", "week", "month"])
    rows = TimelineRowSerializer(many=True)


class InstructorRowSerializer(serializers.Serializer):
    instructor_id = serializers.IntegerField()
    instructor = serializers.CharField()
    classes_taught = serializers.IntegerField()
    attended = serializers.IntegerField()
    average_attendance = serializers.FloatField(allow_null=True)
    places = serializers.IntegerField()
    utilisation = _rate()
    no_shows = serializers.IntegerField()
    no_show_rate = _rate()


class InstructorReportSerializer(serializers.Serializer):
    period = ReportPeriodSerializer()
    rows = InstructorRowSerializer(many=True)


class RevenueTotalSerializer(serializers.Serializer):
    bookings = serializers.IntegerField()
    paid_pennies = serializers.IntegerField()
    refunded_pennies = serializers.IntegerField()
    net_pennies = serializers.IntegerField()


class RevenueRowSerializer(RevenueTotalSerializer):
    method = serializers.ChoiceField(choices=BookingMethod.choices)


class RevenueReportSerializer(serializers.Serializer):
    period = ReportPeriodSerializer()
    rows = RevenueRowSerializer(many=True)
    total = RevenueTotalSerializer()


class PeakCellSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=1, max_value=7, help_text="1 is Monday.")
    hour = serializers.IntegerField(min_value=0, max_value=23)
    bookings = serializers.IntegerField()
    attended = serializers.IntegerField()


class PeakHoursReportSerializer(serializers.Serializer):
    period = ReportPeriodSerializer()
    cells = PeakCellSerializer(many=True, help_text="Only the weekday-hours with bookings.")
    attended = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()), help_text="7 x 24, Monday first."
    )
    bookings = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()), help_text="7 x 24, Monday first."
    )
    busiest = PeakCellSerializer(allow_null=True)
    max_attended = serializers.IntegerField()


class FrequencyBandSerializer(serializers.Serializer):
    attended = serializers.CharField(help_text="Classes attended in the period: `0`, `1`, `2-3`, `4-7`, `8+`.")
    customers = serializers.IntegerField()


class LapsedCustomerSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    name = serializers.CharField()
    last_attended = serializers.DateField()


class EngagementReportSerializer(serializers.Serializer):
    period = ReportPeriodSerializer()
    active_customers = serializers.IntegerField()
    bookings = serializers.IntegerField()
    bookings_per_customer = serializers.FloatField(allow_null=True)
    frequency_bands = FrequencyBandSerializer(many=True)
    lapsed_after_days = serializers.IntegerField()
    lapsed_customers = serializers.IntegerField()
    lapsed = LapsedCustomerSerializer(many=True)


class HistoryCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.CharField(allow_blank=True)


class HistorySummarySerializer(StatusCountsSerializer):
    total_bookings = serializers.IntegerField()
    late_arrivals = serializers.IntegerField()


class HistoryBookingSerializer(serializers.Serializer):
    booking_id = serializers.IntegerField()
    class_id = serializers.IntegerField()
    class_type = serializers.CharField()
    venue = serializers.CharField()
    instructors = serializers.ListField(child=serializers.CharField())
    starts_at = serializers.DateTimeField(help_text="In the studio's local time, with its offset.")
    status = serializers.ChoiceField(choices=BookingStatus.choices)
    method = serializers.CharField()
    was_late = serializers.BooleanField()
    minutes_late = serializers.IntegerField(allow_null=True)


class CustomerHistoryReportSerializer(serializers.Serializer):
    customer = HistoryCustomerSerializer()
    summary = HistorySummarySerializer()
    bookings = HistoryBookingSerializer(many=True)


class AttendanceRowSerializer(serializers.Serializer):
    booking_id = serializers.IntegerField()
    class_id = serializers.IntegerField()
    class_type = serializers.CharField()
    venue = serializers.CharField()
    instructors = serializers.CharField(help_text="Names, comma-separated.")
    starts_at = serializers.DateTimeField()
    customer_id = serializers.IntegerField()
    customer = serializers.CharField()
    membership_status = serializers.ChoiceField(choices=["active", "none"])
    membership_plan = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=BookingStatus.choices)
    method = serializers.CharField()
    was_late = serializers.BooleanField()
    minutes_late = serializers.IntegerField(allow_null=True)


class AttendancesPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = AttendanceRowSerializer(many=True)
