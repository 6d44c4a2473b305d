"""The attendance engine's tables: attendees, check-ins, refusals, rollups, schedules, corrections."""

import secrets
from datetime import date, timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.functional import cached_property

from organizations.models import DeviceKey, Organization


class Method(models.TextChoices):
    """Known check-in methods. Apps may register more (see attendance.registry.register_method)."""

    MANUAL = "manual", "Manual"
    QR_CODE = "qr_code", "QR code"
    RFID = "rfid", "RFID"
    BIOMETRIC = "biometric", "Biometric"
    KIOSK = "kiosk", "Kiosk"
    WEB = "web", "Web"
    MOBILE_APP = "mobile_app", "Mobile app"
    API = "api", "API"
    GOOGLE_MEET = "google_meet", "Google Meet"
    COURTESY = "courtesy", "Courtesy pass"


class Kind(models.TextChoices):
    VISIT = "visit", "Visit"
    FULL_DAY = "full_day", "Full day"
    HALF_DAY_MORNING = "half_day_morning", "Half day (morning)"
    HALF_DAY_AFTERNOON = "half_day_afternoon", "Half day (afternoon)"
    OVERTIME = "overtime", "Overtime"
    SHORT = "short", "Short"
    COURTESY = "courtesy", "Courtesy"


class AttendeeMixin(models.Model):
    """Adds the attendance fields to any model with an `organization` foreign key.

    The counters are written only by attendance.services while the attendee row is locked. The
    current session is not stored here: it is the attendee's open CheckIn (`open_session`), and
    `session_active`, `session_check_in_id`, `session_expected_checkout_at` and `session_method` are
    read from it. Subclasses may override `attendance_is_active`, `attendance_name` and
    `attendance_shift_for`.
    """

    attendance_enabled = models.BooleanField(default=True)
    total_visits = models.PositiveIntegerField(default=0, editable=False)
    visits_this_month = models.PositiveIntegerField(default=0, editable=False)
    visits_month = models.DateField(null=True, blank=True, editable=False, help_text="Month of visits_this_month.")
    first_visit_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_visit_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @cached_property
    def open_session(self) -> "CheckIn | None":
        """The attendee's open check-in, or None (at most one is open: `one_open_session_per_attendee`).

        Read when first asked and kept on the instance; the engine asks under the attendee's lock and
        keeps it in step with its own writes (`attendance_session_opened` / `_closed`).
        `refresh_from_db()` reads it again.
        """
        return open_sessions_of(type(self)).filter(attendee_id=self.pk).first()

    def _open_session_value(self, annotation: str, attribute: str):
        # A list annotated by `with_open_session` answers from its own query; otherwise the open row does.
        if annotation in self.__dict__ and "open_session" not in self.__dict__:
            return self.__dict__[annotation]
        row = self.open_session
        return getattr(row, attribute) if row is not None else None

    @property
    def session_check_in_id(self) -> int | None:
        return self._open_session_value("open_session_id", "pk")

    @property
    def session_active(self) -> bool:
        return self.session_check_in_id is not None

    @property
    def session_expected_checkout_at(self):
        return self._open_session_value("open_session_expected_checkout_at", "expected_checkout_at")

    @property
    def session_method(self) -> str:
        return self._open_session_value("open_session_method", "method") or ""

    def attendance_session_opened(self, row: "CheckIn") -> None:
        """Note that the engine opened `row` for this (locked) attendee."""
        self.open_session = row

    def attendance_session_closed(self, check_in_id: int) -> None:
        """Note that the engine closed check-in `check_in_id` of this (locked) attendee."""
        current = self.__dict__.get("open_session")
        if current is not None and current.pk == check_in_id:
            self.open_session = None

    def refresh_from_db(self, using=None, fields=None, from_queryset=None) -> None:
        if fields is None:
            for name in ("open_session", *OPEN_SESSION_ANNOTATIONS):
                self.__dict__.pop(name, None)
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)

    def attendance_is_active(self) -> bool:
        """Return whether this attendee may check in at all (e.g. not suspended)."""
        return True

    def attendance_name(self) -> str:
        return str(self)


OPEN_SESSION_ANNOTATIONS = ("open_session_id", "open_session_expected_checkout_at", "open_session_method")


def open_sessions_of(model: type) -> QuerySet:
    """The open check-ins of the rows of attendee model `model`."""
    return CheckIn.objects.filter(
        attendee_type=ContentType.objects.get_for_model(model), checked_out_at__isnull=True
    )


def with_open_session(queryset: QuerySet) -> QuerySet:
    """`queryset` of attendees, each row read with its open session's id, expected check-out and
    method in the same statement (one index probe each), so a list's `session_*` values cost no query.

    A snapshot for display: an engine write reads the session under the attendee's lock instead
    (`open_session`), as a concurrent write that committed while the lock was awaited is not
    visible to the statement that awaited it (PostgreSQL, READ COMMITTED).
    """
    rows = open_sessions_of(queryset.model).filter(attendee_id=OuterRef("pk"))
    return queryset.annotate(
        open_session_id=Subquery(rows.values("pk")[:1]),
        open_session_expected_checkout_at=Subquery(rows.values("expected_checkout_at")[:1]),
        open_session_method=Subquery(rows.values("method")[:1]),
    )


class MemberStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PENDING = "pending", "Pending"
    SUSPENDED = "suspended", "Suspended"


def new_qr_token() -> str:
    return secrets.token_urlsafe(16)


class Member(AttendeeMixin):
    """A person of an organization: the engine's ready-made attendee (gym member, customer, ...)."""

    # No single-column index on organization: (organization, last_name, first_name) starts with it.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="members", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=20, choices=MemberStatus.choices, default=MemberStatus.ACTIVE)
    qr_token = models.CharField(max_length=64, unique=True, default=new_qr_token)
    rfid_tag = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "rfid_tag"], condition=~Q(rfid_tag=""), name="unique_rfid_per_org"
            ),
        ]
        indexes = [models.Index(fields=["organization", "last_name", "first_name"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def attendance_is_active(self) -> bool:
        return self.status == MemberStatus.ACTIVE


class CheckIn(models.Model):
    """One visit or session of one attendee. Open while `checked_out_at` is null."""

    # No single-column index: (organization, checked_in_at) serves every organization lookup, and
    # the planner sometimes preferred the narrower one and read a whole history.
    # Nor on attendee_type: (attendee_type, attendee_id, checked_in_at) starts with it. Every index
    # is one more write on each check-in.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="check_ins", db_index=False)
    attendee_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", db_index=False)
    attendee_id = models.BigIntegerField()
    attendee = GenericForeignKey("attendee_type", "attendee_id")
    checked_in_at = models.DateTimeField(default=timezone.now)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    expected_checkout_at = models.DateTimeField(null=True, blank=True)
    duration = models.DurationField(null=True, blank=True)
    method = models.CharField(max_length=32, default=Method.MANUAL)
    source = models.CharField(max_length=32, default="api", help_text="Which app or channel recorded it.")
    kind = models.CharField(max_length=32, choices=Kind.choices, default=Kind.VISIT)
    auto_closed = models.BooleanField(default=False)
    late_minutes = models.PositiveIntegerField(default=0)
    early_leave_minutes = models.PositiveIntegerField(default=0)
    location = models.CharField(max_length=120, blank=True)
    device = models.ForeignKey(DeviceKey, null=True, blank=True, on_delete=models.SET_NULL)
    notes = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=120, null=True, blank=True)
    external_id = models.CharField(max_length=120, null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-checked_in_at", "-id"]
        verbose_name = "check-in"
        constraints = [
            models.UniqueConstraint(
                fields=["attendee_type", "attendee_id"],
                condition=Q(checked_out_at__isnull=True),
                name="one_open_session_per_attendee",
            ),
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="unique_idempotency_key_per_org",
            ),
            models.UniqueConstraint(
                fields=["organization", "source", "external_id"],
                condition=Q(external_id__isnull=False),
                name="unique_external_id_per_source",
            ),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True) | Q(checked_out_at__gte=models.F("checked_in_at")),
                name="checkout_after_checkin",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "checked_in_at"], name="checkin_org_time"),
            models.Index(fields=["attendee_type", "attendee_id", "checked_in_at"], name="checkin_attendee_time"),
            models.Index(
                fields=["organization", "expected_checkout_at"],
                condition=Q(checked_out_at__isnull=True),
                name="checkin_open_expected",
            ),
            models.Index(
                fields=["organization", "location"], condition=Q(checked_out_at__isnull=True), name="checkin_open_loc"
            ),
        ]

    def __str__(self) -> str:
        return f"check-in #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.checked_out_at is None

    @property
    def duration_seconds(self) -> int | None:
        return int(self.duration.total_seconds()) if self.duration is not None else None


class Refusal(models.Model):
    """A check-in that was turned away: who, when, through which channel, and why."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="refusals")
    attendee_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    attendee_id = models.BigIntegerField(null=True, blank=True)
    attendee = GenericForeignKey("attendee_type", "attendee_id")
    attempted_at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=32, blank=True)
    source = models.CharField(max_length=32, blank=True)
    code = models.CharField(max_length=64)
    detail = models.TextField(blank=True)
    location = models.CharField(max_length=120, blank=True)
    device = models.ForeignKey(DeviceKey, null=True, blank=True, on_delete=models.SET_NULL)
    metadata = models.JSONField(default=dict, blank=True)
    # A device's event id (offline batches): the refusal of one event is recorded once, however often it is pushed.
    external_id = models.CharField(max_length=120, null=True, blank=True)

    class Meta:
        ordering = ["-attempted_at", "-id"]
        indexes = [models.Index(fields=["organization", "attempted_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "source", "external_id"],
                condition=Q(external_id__isnull=False),
                name="unique_refusal_per_event",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} at {self.attempted_at:%Y-%m-%d %H:%M}"


class MonthlyRollup(models.Model):
    """Per attendee and local month: visits, seconds present, days present, visits per kind.

    Kept exact in the check-in/check-out transaction; `recalculate_stats` rebuilds it from raw rows.
    Seconds count toward the month of the check-in.
    """

    # No single-column indexes: (organization, month) and (attendee_type, attendee_id, month) start
    # with these columns.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    attendee_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", db_index=False)
    attendee_id = models.BigIntegerField()
    month = models.DateField(help_text="First day of the organization's local month.")
    visits = models.PositiveIntegerField(default=0)
    seconds_present = models.PositiveBigIntegerField(default=0)
    days_present = models.PositiveIntegerField(default=0)
    kinds = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["attendee_type", "attendee_id", "month"], name="one_rollup_per_month"),
        ]
        indexes = [models.Index(fields=["organization", "month"])]

    def __str__(self) -> str:
        return f"{self.attendee_type_id}:{self.attendee_id} {self.month:%Y-%m}"


class WeeklyShift(models.Model):
    """One scheduled shift of an attendee's week. An end at or before the start ends the next day.

    Rosters are effective-dated: a shift applies on the local days valid_from..valid_until (empty:
    unbounded), so replacing a roster ends the old rows instead of rewriting the past.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    attendee_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    attendee_id = models.BigIntegerField()
    attendee = GenericForeignKey("attendee_type", "attendee_id")
    weekday = models.PositiveSmallIntegerField(help_text="0 = Monday … 6 = Sunday, local time.")
    start_time = models.TimeField()
    end_time = models.TimeField()
    valid_from = models.DateField(null=True, blank=True, help_text="First local day it applies (empty: always).")
    valid_until = models.DateField(null=True, blank=True, help_text="Last local day it applies (empty: until replaced).")

    class Meta:
        ordering = ["weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="weekday_0_to_6"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="shift_valid_until_after_from",
            ),
            models.UniqueConstraint(fields=["attendee_type", "attendee_id", "weekday"],
                                    condition=Q(valid_until__isnull=True), name="one_current_shift_per_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"

    def get_weekday_display(self) -> str:
        return ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][self.weekday]

    @property
    def is_overnight(self) -> bool:
        return self.end_time <= self.start_time

    def applies_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_until is None or day <= self.valid_until)

    @property
    def scheduled(self) -> timedelta:
        start = timedelta(hours=self.start_time.hour, minutes=self.start_time.minute)
        end = timedelta(hours=self.end_time.hour, minutes=self.end_time.minute)
        return end - start + (timedelta(days=1) if self.is_overnight else timedelta())


class CorrectionKind(models.TextChoices):
    MISSING_CHECK_IN = "missing_check_in", "Missing check-in"
    MISSING_CHECK_OUT = "missing_check_out", "Missing check-out"
    WRONG_TIME = "wrong_time", "Wrong time"
    DELETE = "delete", "Delete"


class CorrectionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Correction(models.Model):
    """A request to fix the record; applied through the services only once an admin approves it."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="corrections")
    attendee_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    attendee_id = models.BigIntegerField()
    attendee = GenericForeignKey("attendee_type", "attendee_id")
    check_in = models.ForeignKey(CheckIn, null=True, blank=True, on_delete=models.SET_NULL, related_name="corrections")
    kind = models.CharField(max_length=32, choices=CorrectionKind.choices)
    proposed_checked_in_at = models.DateTimeField(null=True, blank=True)
    proposed_checked_out_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField()
    status = models.CharField(max_length=16, choices=CorrectionStatus.choices, default=CorrectionStatus.PENDING)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.status})"
