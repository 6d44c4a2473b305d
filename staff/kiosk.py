"""The lobby kiosk: staff clock in and out by badge (a keyboard-wedge scanner or RFID reader) or by
personal PIN, on a page opened with a kiosk device key, through the same staff clock as the API.

Credentials: a badge is stored as a keyed hash (HMAC-SHA256 under a per-hotel key derived from
SECRET_KEY); a PIN (4-8 digits) with Django's password hashers. After `MAX_FAILURES` wrong PINs in
a row a person's PIN is locked for `LOCK_MINUTES` (423 `kiosk_locked`); a right PIN resets the count.
"""

import hashlib
import hmac
import json
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.errors import Conflict, DomainError, NotFound
from organizations.authentication import device_for_key
from organizations.models import DeviceKind, Organization
from organizations.services import audit_log_record
from staff import services
from staff.models import Staff

MAX_FAILURES = 5
LOCK_MINUTES = 15


def badge_key(organization: Organization) -> bytes:
    """The hotel's badge key: the same on every call, different for every hotel (the kiosk manifest carries it)."""
    return hmac.new(settings.SECRET_KEY.encode(), f"staff-badge:{organization.pk}".encode(), hashlib.sha256).digest()


def badge_hash(organization: Organization, badge: str) -> str:
    return hmac.new(badge_key(organization), badge.strip().encode(), hashlib.sha256).hexdigest()


def kiosk_credentials_set(*, staff: Staff, pin: str | None = None, badge: str | None = None, actor=None) -> Staff:
    """Set a person's PIN and/or badge (a manager, or the person). Raises 400 `invalid_pin`, 409 `badge_taken`."""
    fields = []
    if pin is not None:
        if not (pin.isdigit() and 4 <= len(pin) <= 8):
            raise DomainError("A PIN is 4 to 8 digits.", code="invalid_pin")
        staff.kiosk_pin, staff.kiosk_failures, staff.kiosk_locked_until = make_password(pin), 0, None
        fields += ["kiosk_pin", "kiosk_failures", "kiosk_locked_until"]
    if badge is not None:
        staff.kiosk_badge_hash = badge_hash(staff.organization, badge) if badge.strip() else None
        fields.append("kiosk_badge_hash")
    try:
        with transaction.atomic():
            staff.save(update_fields=fields)
            audit_log_record(organization=staff.organization, action="staff.kiosk_credentials_set", actor=actor,
                             target=staff, data={"pin": pin is not None, "badge": badge is not None})
    except IntegrityError:
        raise Conflict("This badge already belongs to someone else in this hotel.", code="badge_taken") from None
    return staff


class KioskCredentialsForm(forms.ModelForm):
    """The admin's Staff form plus the kiosk credentials a manager may set (saved by `kiosk_credentials_set`)."""

    new_pin = forms.CharField(required=False, max_length=8, widget=forms.PasswordInput(render_value=False),
                              help_text="4-8 digits for the lobby kiosk; leave empty to keep the current PIN.")
    new_badge = forms.CharField(required=False, max_length=200,
                                help_text="Scan the badge here to register it; leave empty to keep the current one.")

    class Meta:
        model = Staff
        fields = "__all__"  # noqa: DJ007 - the admin's own field list, plus the two credentials above

    def clean_new_pin(self):
        pin = self.cleaned_data["new_pin"]
        if pin and not (pin.isdigit() and 4 <= len(pin) <= 8):
            raise forms.ValidationError("A PIN is 4 to 8 digits.")
        return pin

    def clean(self):
        cleaned = super().clean()
        organization = cleaned.get("organization") or getattr(self.instance, "organization", None)
        badge = (cleaned.get("new_badge") or "").strip()
        if badge and organization is not None:
            taken = Staff.objects.filter(organization=organization, kiosk_badge_hash=badge_hash(organization, badge))
            if taken.exclude(pk=self.instance.pk).exists():
                self.add_error("new_badge", "This badge already belongs to someone else in this hotel.")
        return cleaned


def kiosk_staff_for_pin(*, organization: Organization, staff_id: int, pin: str) -> Staff:
    """The person whose PIN this is, or 404 / 423 `kiosk_locked` / 403 `wrong_pin` (counted)."""
    staff = Staff.objects.filter(organization=organization, pk=staff_id).first()
    if staff is None or not staff.kiosk_pin:
        raise NotFound("No one with a PIN by that id in this hotel.", code="staff_not_found")
    now = timezone.now()
    if staff.kiosk_locked_until is not None and staff.kiosk_locked_until > now:
        raise DomainError(f"Too many wrong PINs; try again after {staff.kiosk_locked_until:%H:%M} UTC or use your badge.",
                          code="kiosk_locked", status_code=423, retry_after=staff.kiosk_locked_until.isoformat())
    if not check_password(pin, staff.kiosk_pin):
        Staff.objects.filter(pk=staff.pk).update(kiosk_failures=F("kiosk_failures") + 1)
        locked = Staff.objects.filter(pk=staff.pk, kiosk_failures__gte=MAX_FAILURES).update(
            kiosk_failures=0, kiosk_locked_until=now + timedelta(minutes=LOCK_MINUTES))
        raise DomainError("Wrong PIN." + (" The PIN is locked for a while." if locked else ""), code="wrong_pin",
                          status_code=403)
    if staff.kiosk_failures:
        Staff.objects.filter(pk=staff.pk).update(kiosk_failures=0)
    return staff


def kiosk_staff_for_badge(*, organization: Organization, badge: str) -> Staff:
    staff = Staff.objects.filter(organization=organization, kiosk_badge_hash=badge_hash(organization, badge)).first()
    if staff is None:
        raise NotFound("Unknown badge. Ask a manager to register it.", code="unknown_badge")
    return staff


def kiosk_device(raw_key: str, hotel_slug: str):
    """The active kiosk device key of this hotel, or 404 (another hotel's key, another kind of device)."""
    device = device_for_key(raw_key) if raw_key else None
    if device is None or device.organization.slug != hotel_slug or device.kind != DeviceKind.KIOSK:
        raise Http404("No such kiosk.")
    return device


def kiosk_cache_name(hotel_slug: str) -> str:
    """The browser cache the kiosk's service worker keeps the page and its files in."""
    return f"staff-kiosk-{hotel_slug}-v1"


def kiosk_page(request, hotel_slug):
    """The kiosk screen, opened with `?key=<kiosk device key>`: badge field, names for a PIN."""
    device = kiosk_device(request.GET.get("key", ""), hotel_slug)
    people = Staff.objects.filter(organization=device.organization, is_active=True).exclude(kiosk_pin="")
    return render(request, "staff/kiosk.html", {"hotel": device.organization, "people": people,
                                                "cache_name": kiosk_cache_name(hotel_slug)})


def kiosk_device_of(request, hotel_slug):
    """The kiosk device named by `Authorization: Device <key>`, or 404."""
    return kiosk_device(request.headers.get("Authorization", "").removeprefix("Device ").strip(), hotel_slug)


@csrf_exempt  # authorised by the device key in the Authorization header, never by a cookie
@require_POST
def kiosk_clock(request, hotel_slug):
    """POST {"badge"} or {"staff_id", "pin"} with `Authorization: Device <key>`: toggle that person's clock."""
    device = kiosk_device_of(request, hotel_slug)
    try:
        body = json.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise ValueError
    except ValueError:
        return JsonResponse({"code": "invalid", "detail": "Send a JSON object."}, status=400)
    try:
        if body.get("badge"):
            staff = kiosk_staff_for_badge(organization=device.organization, badge=str(body["badge"]))
        elif isinstance(body.get("staff_id"), int) and isinstance(body.get("pin"), str):
            staff = kiosk_staff_for_pin(organization=device.organization, staff_id=body["staff_id"], pin=body["pin"])
        else:
            raise DomainError("Scan a badge, or pick your name and type your PIN.", code="invalid")
        result = services.staff_clock_toggle(staff=staff, method="kiosk", device=device)
    except DomainError as error:
        return JsonResponse(error.as_dict(), status=error.status_code)
    return JsonResponse({"name": staff.full_name, "is_on_duty": result.is_on_duty,
                         "clock_time": result.clock_time.isoformat()})
