"""Class bookings of a studio: venues, instructors, class types, classes, plans, packages, bookings,
waitlists and weekly series. Customers are the engine's `attendance.models.Member`.

Money is stored in integer pennies. Every table carries `organization` (the tenant), which the
PostgreSQL row-level security policies of migration 0002 filter on.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from attendance.models import Member
from organizations.models import Organization


class Studio(models.Model):
    """The booking options of an organization; its presence makes the organization a studio."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="studio")
    late_cancel_hours = models.PositiveIntegerField(
        default=12, help_text="A cancellation less than this many hours before the class start is a late cancellation."
    )
    late_grace_minutes = models.PositiveIntegerField(
        default=5, help_text="Arriving more than this many minutes after the start counts as late."
    )
    check_in_opens_minutes = models.PositiveIntegerField(
        default=30, help_text="How many minutes before the start class check-in opens."
    )
    lapsed_after_days = models.PositiveIntegerField(
        default=30, help_text="A customer with no attended class for this many days is lapsed."
    )

    def __str__(self) -> str:
        return f"Studio options of {self.organization}"


class Venue(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    address = models.CharField(max_length=300, blank=True)
    capacity = models.PositiveIntegerField()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="unique_venue_name_per_org")]

    def __str__(self) -> str:
        return self.name


class Instructor(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    name = models.CharField(max_length=120)
    email = models.EmailField(blank=True)
    specialisations = models.JSONField(default=list, blank=True, help_text='For example ["yoga", "pilates"].')

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ClassType(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    duration_minutes = models.PositiveIntegerField(default=60)
    drop_in_price_pennies = models.PositiveIntegerField(default=0)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="unique_class_type_per_org")]

    def __str__(self) -> str:
        return self.name


class FitnessClass(models.Model):
    """One scheduled class. Capacity is `capacity_override`, else the venue's."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    class_type = models.ForeignKey(ClassType, on_delete=models.PROTECT, related_name="classes")
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="classes")
    instructors = models.ManyToManyField(Instructor, blank=True, related_name="classes")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity_override = models.PositiveIntegerField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name_plural = "fitness classes"
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="class_ends_after_start"),
        ]
        indexes = [models.Index(fields=["organization", "starts_at"], name="class_org_start")]

    def __str__(self) -> str:
        return f"{self.class_type} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def capacity(self) -> int:
        return self.capacity_override if self.capacity_override is not None else self.venue.capacity

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class LimitPeriod(models.TextChoices):
    WEEK = "week", "Week (Monday to Sunday)"
    MONTH = "month", "Calendar month"


class MembershipPlan(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    price_pennies = models.PositiveIntegerField(default=0)
    class_limit = models.PositiveIntegerField(null=True, blank=True, help_text="Classes per period; empty = unlimited.")
    limit_period = models.CharField(max_length=8, choices=LimitPeriod.choices, default=LimitPeriod.MONTH)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomerMembership(models.Model):
    """A customer's plan, valid on the local dates started_on..ended_on (open-ended without ended_on)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Member, on_delete=models.RESTRICT, related_name="class_memberships")  # a record of money or attendance: 409 in_use
    plan = models.ForeignKey(MembershipPlan, on_delete=models.PROTECT, related_name="memberships")
    active = models.BooleanField(default=True)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        indexes = [models.Index(fields=["customer", "active"], name="customer_membership_active")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")), name="membership_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} on {self.plan}"

    def covers(self, day) -> bool:
        return self.active and self.started_on <= day and (self.ended_on is None or day <= self.ended_on)


class ClassPackage(models.Model):
    """N classes bought together; one is used per booking, until `expires_at`."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Member, on_delete=models.RESTRICT, related_name="class_packages")  # a record of money or attendance: 409 in_use
    name = models.CharField(max_length=120, default="Class pack")
    classes_total = models.PositiveIntegerField()
    classes_used = models.PositiveIntegerField(default=0)
    price_pennies = models.PositiveIntegerField(default=0)
    purchased_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["expires_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(classes_used__lte=models.F("classes_total")), name="package_not_overused"),
            models.CheckConstraint(condition=Q(classes_total__gte=1), name="package_has_classes"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.classes_remaining} left)"

    @property
    def classes_remaining(self) -> int:
        return self.classes_total - self.classes_used

    @property
    def value_per_class_pennies(self) -> int:
        return self.price_pennies // self.classes_total if self.classes_total else 0


class BookingStatus(models.TextChoices):
    REGISTERED = "registered", "Registered"
    ATTENDED = "attended", "Attended"
    LATE_CANCELLED = "late_cancelled", "Late cancelled"
    NO_SHOW = "no_show", "No-show"
    CANCELLED = "cancelled", "Cancelled"


# Statuses that hold a place in the class.
HOLDING_STATUSES = (BookingStatus.REGISTERED, BookingStatus.ATTENDED)
# Statuses that use up a plan's class allowance or a package credit.
COUNTED_STATUSES = (BookingStatus.REGISTERED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW, BookingStatus.LATE_CANCELLED)


class BookingMethod(models.TextChoices):
    MEMBERSHIP = "membership", "Membership"
    DROP_IN = "drop_in", "Drop-in"
    FREE = "free", "Free"
    PACKAGE = "package", "Class package"


class BookingSource(models.TextChoices):
    WEB = "web", "Web"
    KIOSK = "kiosk", "Kiosk"
    MOBILE_APP = "mobile_app", "Mobile app"
    STAFF = "staff", "Staff"
    API = "api", "API"


class BookingSeries(models.Model):
    """A weekly series booked in one step; each class of it is its own Booking."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="booking_series")
    class_type = models.ForeignKey(ClassType, on_delete=models.PROTECT, related_name="+")
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="+")
    weekday = models.PositiveSmallIntegerField(help_text="0 = Monday, local time.")
    local_start_time = models.TimeField()
    first_date = models.DateField()
    last_date = models.DateField()
    method = models.CharField(max_length=16, choices=BookingMethod.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.class_type} weekly for {self.customer}"


class Booking(models.Model):
    """A customer's place in a class. The class's time is read through `fitness_class`, never copied."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    fitness_class = models.ForeignKey(FitnessClass, on_delete=models.CASCADE, related_name="bookings")
    customer = models.ForeignKey(Member, on_delete=models.RESTRICT, related_name="class_bookings")  # a record of money or attendance: 409 in_use
    status = models.CharField(max_length=16, choices=BookingStatus.choices, default=BookingStatus.REGISTERED)
    method = models.CharField(max_length=16, choices=BookingMethod.choices)
    source = models.CharField(max_length=16, choices=BookingSource.choices, default=BookingSource.WEB)
    booked_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    check_in_id = models.BigIntegerField(null=True, blank=True, help_text="The engine's CheckIn row.")
    minutes_late = models.PositiveIntegerField(default=0)
    was_late = models.BooleanField(default=False)
    amount_paid_pennies = models.PositiveIntegerField(default=0)
    refunded_pennies = models.PositiveIntegerField(default=0)
    package = models.ForeignKey(ClassPackage, null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings")
    membership = models.ForeignKey(
        CustomerMembership, null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings"
    )
    series = models.ForeignKey(BookingSeries, null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings")
    promoted_from_waitlist = models.BooleanField(default=False)

    class Meta:
        ordering = ["fitness_class__starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["fitness_class", "customer"],
                condition=Q(status__in=["registered", "attended"]),
                name="one_active_booking_per_class",
            ),
        ]
        indexes = [
            # Reports: the period's classes (class_org_start), then their bookings with status from this index.
            models.Index(fields=["fitness_class", "status", "organization"], name="booking_class_status"),
            models.Index(fields=["fitness_class"], condition=Q(status="registered"), name="booking_registered_class"),
        ]

    def __str__(self) -> str:
        return f"booking #{self.pk} ({self.status})"


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    PROMOTED = "promoted", "Promoted"
    SKIPPED = "skipped", "Skipped (could not be booked)"
    LEFT = "left", "Left the waitlist"
    EXPIRED = "expired", "Expired (class started or cancelled)"


class WaitlistEntry(models.Model):
    """A customer waiting for a place in a full class; promoted first come, first served."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    fitness_class = models.ForeignKey(FitnessClass, on_delete=models.CASCADE, related_name="waitlist")
    customer = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="class_waitlist")
    method = models.CharField(max_length=16, choices=BookingMethod.choices)
    source = models.CharField(max_length=16, choices=BookingSource.choices, default=BookingSource.WEB)
    status = models.CharField(max_length=16, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    series = models.ForeignKey(BookingSeries, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    skip_code = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.UniqueConstraint(
                fields=["fitness_class", "customer"], condition=Q(status="waiting"), name="one_waitlist_entry_per_class"
            ),
        ]
        indexes = [models.Index(fields=["fitness_class", "status", "created_at"], name="waitlist_queue")]

    def __str__(self) -> str:
        return f"waitlist #{self.pk} ({self.status})"
