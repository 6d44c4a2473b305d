"""Tenants, people's roles in them, device credentials, and the audit log."""

import hashlib
import secrets
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone (for example Europe/Madrid).")


class User(AbstractUser):
    """The platform's user. Organization access comes from memberships."""

    class Meta:
        db_table = "organizations_user"


class Organization(models.Model):
    """A tenant: a gym or studio, a hotel, a school or academy."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    retention_days = models.PositiveIntegerField(
        default=730, help_text="Check-ins older than this are purged nightly. 0 keeps them forever."
    )
    settings = models.JSONField(default=dict, blank=True, help_text="Per-organization options; see the README.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def option(self, name: str, default=None):
        return (self.settings or {}).get(name, default)


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    RECEPTIONIST = "receptionist", "Receptionist"
    STAFF = "staff", "Staff"
    MEMBER = "member", "Member"


MANAGER_ROLES = frozenset({Role.OWNER, Role.ADMIN})
DESK_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.RECEPTIONIST})
WORKER_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.RECEPTIONIST, Role.STAFF})


class Membership(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="one_membership_per_user_org")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"


class DeviceKind(models.TextChoices):
    KIOSK = "kiosk", "Kiosk"
    TERMINAL = "terminal", "Door / biometric terminal"
    DISPLAY = "display", "Display screen"
    INTEGRATION = "integration", "Integration"


class DeviceKey(models.Model):
    """A named, revocable credential for a kiosk, terminal or screen of one organization.

    Only a SHA-256 of the key is stored; the key itself is shown once, when created.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="device_keys")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=DeviceKind.choices, default=DeviceKind.KIOSK)
    prefix = models.CharField(max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="unique_device_name_per_org")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(raw_key: str) -> str:
        return hashlib.sha256(raw_key.encode()).hexdigest()

    @staticmethod
    def generate_key() -> str:
        return "dk_" + secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditLog(models.Model):
    """Who did what to which object, and why. Every override writes one."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="audit_logs")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    device = models.ForeignKey(DeviceKey, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    object_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("object_type", "object_id")
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor or self.device or 'system'}"


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` (or a device's offline event id) bound to the request that first used it.

    The key is scoped to the caller (a user or a device) in an organization; `fingerprint` hashes the
    method, the path and the body, so the same key with another request is refused, never answered
    with the first one's result. `status_code` is empty while the first request is still running.
    """

    class Scope(models.TextChoices):
        REQUEST = "request", "Idempotency-Key header"
        EVENT = "event", "offline batch event id"

    MAX_LENGTH = 255

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    principal = models.CharField(max_length=40, help_text="user:<id> or device:<id>")
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.REQUEST)
    key = models.CharField(max_length=MAX_LENGTH)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the method, path and body")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "principal", "scope", "key"], name="unique_idempotency_key"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_created")]

    def __str__(self) -> str:
        return f"{self.principal} {self.scope}:{self.key}"
