"""Hotel staff: the people who clock in and out. Each one is an attendee of the engine."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from attendance.models import AttendeeMixin
from organizations.models import Organization


class Staff(AttendeeMixin):
    """A staff member of a hotel (the organization). One user is staff of a hotel at most once.

    `is_on_duty`, `last_clock_in` and `last_clock_out` mirror the engine's session and are written
    only by staff.plugins / staff.services while the row is locked (or by the reconcile job).
    The weekly schedule lives in the engine's `attendance.WeeklyShift` rows.
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
    is_on_duty = models.BooleanField(default=False, editable=False)
    last_clock_in = models.DateTimeField(null=True, blank=True, editable=False)
    last_clock_out = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "staff"
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(hourly_rate__gte=0), name="staff_hourly_rate_not_negative"),
        ]
        indexes = [
            models.Index(fields=["organization", "is_on_duty"], name="staff_org_on_duty"),
            models.Index(fields=["organization", "department"], name="staff_org_department"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

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
