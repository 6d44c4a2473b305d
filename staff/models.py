"""Hotel staff: the people who clock in and out. Each one is an attendee of the engine."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Max, OuterRef, Q, Subquery
from django.utils.functional import cached_property

from attendance.models import AttendeeMixin
from organizations.models import Organization


class Staff(AttendeeMixin):
    """A staff member of a hotel (the organization). One user is staff of a hotel at most once.

    `is_on_duty`, `on_duty_since`, `last_clock_in` and `last_clock_out` are derived from the engine's
    session and check-ins, never stored apart from them (a back-dated session entered later cannot
    move them backwards). The weekly schedule lives in the engine's
    `attendance.WeeklyShift` rows.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="staff_members")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="staff_profile"
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    department = models.CharField(max_length=60, blank=True, help_text="Front desk, Housekeeping, Kitchen, …")
    position = models.CharField(max_length=100, blank=True)
    hourly_rate = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0.00"),
                                      help_text="The rate in force now; earlier ones are PastRate rows.")
    is_active = models.BooleanField(default=True, help_text="Inactive staff cannot clock in.")
    created_at = models.DateTimeField(auto_now_add=True)
    # The lobby kiosk's credentials (staff.kiosk): a keyed hash of the badge, a password hash of the PIN.
    kiosk_badge_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)
    kiosk_pin = models.CharField(max_length=128, blank=True, editable=False)
    kiosk_failures = models.PositiveSmallIntegerField(default=0, editable=False)
    kiosk_locked_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name_plural = "staff"
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(hourly_rate__gte=0), name="staff_hourly_rate_not_negative"),
            models.UniqueConstraint(fields=["organization", "kiosk_badge_hash"],
                                    condition=Q(kiosk_badge_hash__isnull=False), name="one_badge_per_hotel"),
        ]
        indexes = [
            models.Index(fields=["organization", "department"], name="staff_org_department"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @staticmethod
    def _own_check_ins():
        from attendance import registry
        from attendance.models import CheckIn

        return CheckIn.objects.filter(attendee_type=registry.content_type_for(Staff), attendee_id=OuterRef("pk"))

    @classmethod
    def last_clock_in_subquery(cls):
        """Each row's latest clock-in, for `annotate(last_clock_in=...)` on a list of staff."""
        return Subquery(cls._own_check_ins().order_by("-checked_in_at").values("checked_in_at")[:1])

    @classmethod
    def last_clock_out_subquery(cls):
        """Each row's latest check-out, for `annotate(last_clock_out=...)` on a list of staff."""
        latest = cls._own_check_ins().filter(checked_out_at__isnull=False).order_by("-checked_out_at")
        return Subquery(latest.values("checked_out_at")[:1])

    @classmethod
    def on_duty_since_subquery(cls):
        """When each row's open session began, for `annotate(on_duty_since=...)`."""
        return Subquery(cls._own_check_ins().filter(checked_out_at__isnull=True).values("checked_in_at")[:1])

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_on_duty(self) -> bool:
        """On duty while the engine holds an open session for this person."""
        return self.session_active

    def _clock_times(self):
        from attendance import registry
        from attendance.models import CheckIn

        return CheckIn.objects.filter(attendee_type=registry.content_type_for(Staff), attendee_id=self.pk)

    @cached_property
    def last_clock_in(self):
        """The latest clock-in of this person's sessions (selectors may annotate it instead)."""
        return self._clock_times().aggregate(last=Max("checked_in_at"))["last"]

    @cached_property
    def last_clock_out(self):
        """The latest check-out of this person's sessions (selectors may annotate it instead)."""
        return self._clock_times().aggregate(last=Max("checked_out_at"))["last"]

    @cached_property
    def on_duty_since(self):
        """When the open session began; None off duty (selectors may annotate it instead)."""
        return self.open_session.checked_in_at if self.open_session is not None else None

    def attendance_is_active(self) -> bool:
        return self.is_active

    def attendance_name(self) -> str:
        return self.full_name


class PastRate(models.Model):
    """An hourly rate that applied until (and including) the local day `until`. The rate of a day is
    the PastRate with the earliest `until` on or after it, else the staff member's current rate; written
    only by staff.services.staff_rate_set, so a rate change never reprices days already worked."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="past_rates")
    hourly_rate = models.DecimalField(max_digits=8, decimal_places=2)
    until = models.DateField()

    class Meta:
        ordering = ["staff", "until"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "until"], name="one_past_rate_per_day"),
            models.CheckConstraint(condition=Q(hourly_rate__gte=0), name="past_rate_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.hourly_rate} until {self.until}"
