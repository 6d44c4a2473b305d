"""The gym layer on top of the engine: a gym's calendar and switch, and each member's gym profile.

A gym member is the engine's `attendance.models.Member` (attendee, QR token, status); the gym's
subscription, streak and biometric footprint live in `GymProfile`, one per member. A visit is the
engine's `CheckIn` row with `source="gym"` and `metadata = {"access_method", "access_type"}`.
"""

import hashlib
import hmac

from django.conf import settings
from django.db import models
from django.db.models import Q

from attendance.models import Member
from organizations.models import Organization

QR_PREFIX = "GYM_QR_"
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def footprint_hash(footprint_id: str) -> str:
    """Keyed hash of a biometric footprint id; the raw id is never stored."""
    key = settings.BIOMETRIC_HASH_KEY.encode()
    return hmac.new(key, str(footprint_id).encode(), hashlib.sha256).hexdigest()


class Gym(models.Model):
    """Gym settings of an organization: the gamification switch and the calendar of closed days."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="gym")
    gamification_enabled = models.BooleanField(default=True)
    reactivated_at = models.DateTimeField(
        null=True, blank=True, help_text="Last time gamification was switched back on; forgives streak gaps for 7 days."
    )
    closed_weekdays = models.JSONField(default=list, blank=True, help_text="Weekly closures: 0 = Monday … 6 = Sunday.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"gym {self.organization.slug}"

    @property
    def closed_weekday_names(self) -> str:
        return ", ".join(WEEKDAYS[d] for d in sorted(self.closed_weekdays)) or "none"


class ClosedDay(models.Model):
    """A date the gym is closed (holiday). Missing a closed day never breaks a streak."""

    gym = models.ForeignKey(Gym, on_delete=models.CASCADE, related_name="closed_days")
    date = models.DateField()
    reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["gym", "date"], name="one_closed_day_per_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.reason}".strip()


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    PAUSED = "paused", "Paused"
    CANCELLED = "cancelled", "Cancelled"


class AccessType(models.TextChoices):
    MEMBER = "member", "Member"
    STAFF = "staff", "Staff"
    COURTESY = "courtesy", "Courtesy"


class AccessMethod(models.TextChoices):
    QR = "qr", "QR code"
    MANUAL = "manual", "Manual"
    BIOMETRIC = "biometric", "Biometric"
    COURTESY = "courtesy", "Courtesy"


class GymProfile(models.Model):
    """A member's subscription, door state and streak. Written only by gamification.services while the
    member row is locked by the engine."""

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="gym_profile")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    access_type = models.CharField(
        max_length=16, choices=[(AccessType.MEMBER, "Member"), (AccessType.STAFF, "Staff")], default=AccessType.MEMBER
    )
    subscription_status = models.CharField(
        max_length=16, choices=SubscriptionStatus.choices, default=SubscriptionStatus.INACTIVE
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Entry allowed while its local date is after today.")
    last_visit_at = models.DateTimeField(null=True, blank=True)
    last_checkin_date = models.DateField(null=True, blank=True, help_text="Gym-local date of the last streak visit.")
    current_streak = models.PositiveIntegerField(default=0)
    longest_streak = models.PositiveIntegerField(default=0)
    streak_freeze_until = models.DateField(null=True, blank=True, help_text="Missed days up to this date do not break the streak.")
    footprint_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)
    # A guest created for a courtesy pass a desk gave offline: that pass's event id, so a queue pushed
    # again finds the guest instead of creating another.
    guest_event_id = models.CharField(max_length=100, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["member__last_name", "member__first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "footprint_hash"], condition=Q(footprint_hash__isnull=False),
                name="unique_footprint_per_gym",
            ),
            models.UniqueConstraint(
                fields=["organization", "guest_event_id"], condition=Q(guest_event_id__isnull=False),
                name="unique_guest_per_event",
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "last_checkin_date"], condition=Q(current_streak__gt=0), name="gym_streak_open"
            ),
        ]

    def __str__(self) -> str:
        return f"gym profile of {self.member}"


class DoorManifestEntry(models.Model):
    """In which version of its organization's door manifest a member's entry last changed (or was
    removed), so a device holding cursor N downloads only what changed since N. Brought up to date
    by the manifest request itself (gamification.manifest); no rule reads it."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    member_id = models.BigIntegerField()
    digest = models.CharField(max_length=64)
    version = models.PositiveBigIntegerField()
    removed = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "member_id"], name="one_manifest_entry_per_member"),
        ]
        indexes = [models.Index(fields=["organization", "version"], name="manifest_entry_version")]
