"""The lobby kiosk offline: the manifest a kiosk keeps to decide clocks while the network is down, and
the push of the clocks it queued meanwhile.

Manifest (GET, kiosk device key of that hotel): per active staff member with a PIN or a badge, the id,
the name, the badge hash (HMAC-SHA256 under the hotel's badge key, which the manifest carries so the
kiosk hashes what it scans the same way), the PIN's Django password hash when it is
`pbkdf2_sha256$<iterations>$<salt>$<base64 hash>` (verified on the device with WebCrypto PBKDF2; a PIN
under another hasher is left out and needs the network), whether they are on duty now (an offline
press toggles from it) and the lock-out. No raw PIN or badge is stored, so none is in the manifest.

Push (POST, same key): the queued clocks `{"items": [{"event_id", "staff_id", "action", "at"}]}`,
each run through the staff clock (`staff_clock_in` / `staff_clock_out`) at its own time, in time
order, its event id claimed once (organizations.idempotency): one answer per item, `recorded`,
`duplicate` (a retried push) or `refused` with the clock's code (e.g. `already_on_duty`, `overlap`).
"""

import json

from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from config.errors import DomainError
from organizations.idempotency import events_claim, events_complete
from organizations.models import Organization
from organizations.tenancy import Principal
from staff import services
from staff.kiosk import LOCK_MINUTES, MAX_FAILURES, badge_key, kiosk_cache_name, kiosk_device_of
from staff.models import Staff

OFFLINE_HASHER = "pbkdf2_sha256"
MAX_ITEMS = 500
ACTIONS = ("clock_in", "clock_out")


def kiosk_manifest(organization: Organization) -> dict:
    """What a kiosk of `organization` needs to clock staff offline (see the module's docstring)."""
    people = (Staff.objects.filter(organization=organization, is_active=True)
              .exclude(kiosk_pin="", kiosk_badge_hash__isnull=True).order_by("pk"))
    staff = []
    for person in people:
        offline_pin = person.kiosk_pin.startswith(OFFLINE_HASHER + "$") and person.kiosk_pin.count("$") == 3
        staff.append({
            "id": person.pk,
            "name": person.full_name,
            "badge": person.kiosk_badge_hash,
            "has_pin": bool(person.kiosk_pin),
            "pin_hash": person.kiosk_pin if offline_pin else None,
            "on_duty": person.session_active,
            "locked_until": person.kiosk_locked_until.isoformat() if person.kiosk_locked_until else None,
        })
    return {
        "generated_at": timezone.now().isoformat(),
        "badge": {"algorithm": "HMAC-SHA256", "key": badge_key(organization).hex()},
        "pin": {"algorithm": OFFLINE_HASHER, "max_failures": MAX_FAILURES, "lock_minutes": LOCK_MINUTES},
        "staff": staff,
    }


@require_GET
def kiosk_manifest_view(request, hotel_slug):
    device = kiosk_device_of(request, hotel_slug)
    response = JsonResponse(kiosk_manifest(device.organization))
    response["Cache-Control"] = "no-store"
    return response


def _parse_item(organization: Organization, raw) -> tuple[Staff, str, object]:
    """(staff, action, at) of a queued clock, or DomainError `invalid` / 404 `staff_not_found`."""
    if not isinstance(raw, dict) or not isinstance(raw.get("staff_id"), int) or raw.get("action") not in ACTIONS:
        raise DomainError("Each item needs an event_id, a staff_id, an action (clock_in or clock_out) and an at.",
                          code="invalid")
    at = parse_datetime(raw["at"]) if isinstance(raw.get("at"), str) else None
    if at is None or timezone.is_naive(at) or at > timezone.now():
        raise DomainError("`at` is a past time with its UTC offset.", code="invalid")
    staff = Staff.objects.filter(organization=organization, pk=raw["staff_id"], is_active=True).first()
    if staff is None:
        raise DomainError("No such staff member in this hotel.", code="staff_not_found", status_code=404)
    return staff, raw["action"], at


def _event_id(raw) -> str | None:
    event_id = raw.get("event_id") if isinstance(raw, dict) else None
    return event_id if isinstance(event_id, str) and 0 < len(event_id) <= 100 else None


@csrf_exempt  # authorised by the device key in the Authorization header, never by a cookie
@require_POST
def kiosk_push(request, hotel_slug):
    """POST the kiosk's queued clocks; one result per item, in the items' order."""
    device = kiosk_device_of(request, hotel_slug)
    try:
        body = json.loads(request.body or b"{}")
        items = body["items"]
        if not isinstance(items, list) or not 0 < len(items) <= MAX_ITEMS:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"code": "invalid", "detail": f"Send {{\"items\": [...]}} with 1 to {MAX_ITEMS} clocks."},
                            status=400)
    request.principal = Principal(organization=device.organization, role=None, device=device)
    results, events = {}, {}
    for index, raw in enumerate(items):
        event_id = _event_id(raw)
        if event_id is None:
            results[index] = {"event_id": None, "status": "invalid", "code": "invalid",
                              "detail": "Each item needs an event_id (1 to 100 characters)."}
        else:
            events[index] = (event_id, raw)
    claims, known = events_claim(request, events)
    results.update(known)
    try:
        parsed = {}
        for index in claims:
            try:
                parsed[index] = _parse_item(device.organization, items[index])
            except DomainError as error:
                results[index] = {"event_id": events[index][0], "status": "refused", **error.as_dict()}
        for index in sorted(parsed, key=lambda i: parsed[i][2]):
            staff, action, at = parsed[index]
            try:
                if action == "clock_in":
                    result = services.staff_clock_in(staff=staff, method="kiosk", device=device, at=at)
                else:
                    result = services.staff_clock_out(staff=staff, device=device, at=at)
                results[index] = {"event_id": events[index][0], "status": "recorded", "staff_id": staff.pk,
                                  "action": action, "clock_time": result.clock_time.isoformat()}
            except DomainError as error:
                results[index] = {"event_id": events[index][0], "status": "refused", "staff_id": staff.pk,
                                  "name": staff.full_name, "action": action, **error.as_dict()}
    finally:
        events_complete(claims, results)
    return JsonResponse({"results": [{**results[i], "index": i} for i in range(len(items))]})


def kiosk_service_worker(request, hotel_slug):
    """The kiosk's service worker, under the kiosk's own path so its scope covers the page."""
    get_object_or_404(Organization, slug=hotel_slug)
    response: HttpResponse = render(request, "staff/kiosk_sw.js", {"cache_name": kiosk_cache_name(hotel_slug)},
                                    content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    return response
