"""Device keys: `Authorization: Device <key>` for kiosks, terminals and screens."""

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from organizations.models import DeviceKey
from organizations.tenancy import ORGANIZATION_WITH

LAST_USED_RESOLUTION = timedelta(minutes=1)


class DeviceUser:
    """Stands in for request.user when a device is authenticated; it is nobody's account."""

    is_authenticated = True
    is_anonymous = False
    is_superuser = False
    is_staff = False
    pk = None
    id = None

    def __init__(self, device: DeviceKey):
        self.device = device

    def __str__(self) -> str:
        return f"device:{self.device.name}"


def device_for_key(raw_key: str) -> DeviceKey | None:
    """Return the active device for a raw key and record its use, or None.

    The key, its organization and the organization's settings rows (organizations.tenancy) are read
    on every request, in one indexed query: a revoked key or a changed organization takes effect in
    every process at once.
    """
    key_hash = DeviceKey.hash_key(raw_key)
    devices = DeviceKey.objects.select_related("organization", *(f"organization__{name}" for name in ORGANIZATION_WITH))
    try:
        # get(), not first(): the hash is unique, so the look-up needs no ORDER BY.
        device = devices.get(key_hash=key_hash, revoked_at__isnull=True)
    except DeviceKey.DoesNotExist:
        return None
    now = timezone.now()
    # Write at most once a minute per device: a busy turnstile must not turn every scan into a write.
    if device.last_used_at is None or now - device.last_used_at > LAST_USED_RESOLUTION:
        DeviceKey.objects.filter(pk=device.pk).update(last_used_at=now)
        device.last_used_at = now
    return device


class DeviceKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Device"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid device header: use 'Authorization: Device <key>'.")
        device = device_for_key(header[1].decode(errors="replace"))
        if device is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked device key.")
        return DeviceUser(device), device

    def authenticate_header(self, request):
        return self.keyword
