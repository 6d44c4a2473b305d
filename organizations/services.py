"""Writes of the platform layer: audit records, device keys, organizations."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from organizations.models import AuditLog, DeviceKey, Organization


def audit_log_record(
    *,
    organization: Organization,
    action: str,
    actor=None,
    device: DeviceKey | None = None,
    target=None,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditLog:
    return AuditLog.objects.create(
        organization=organization,
        actor=actor if getattr(actor, "pk", None) else None,
        device=device,
        action=action,
        object_type=ContentType.objects.get_for_model(target) if target is not None else None,
        object_id=str(target.pk) if target is not None else "",
        reason=reason,
        data=data or {},
    )


def device_key_create(*, organization: Organization, name: str, kind: str, actor=None) -> tuple[DeviceKey, str]:
    """Create a device key; return it with the raw key, which is never retrievable again."""
    raw_key = DeviceKey.generate_key()
    with transaction.atomic():
        device = DeviceKey.objects.create(
            organization=organization, name=name, kind=kind, prefix=raw_key[:10], key_hash=DeviceKey.hash_key(raw_key)
        )
        audit_log_record(organization=organization, action="device_key.created", actor=actor, target=device)
    return device, raw_key


def device_key_revoke(*, device: DeviceKey, actor=None, reason: str = "") -> DeviceKey:
    with transaction.atomic():
        if device.revoked_at is None:
            device.revoked_at = timezone.now()
            device.save(update_fields=["revoked_at"])
            audit_log_record(
                organization=device.organization, action="device_key.revoked", actor=actor, target=device, reason=reason
            )
    return device
