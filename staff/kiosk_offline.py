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
`duplicate` (a retried push), `refused` with the clock's code (e.g. `already_on_duty`, `time_in_future`)
or `invalid` (an item that does not parse).
"""

import json
from datetime import datetime

from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from attendance.models import with_open_session
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
    people = with_open_session(Staff.objects.filter(organization=organization, is_active=True)
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


def _parse_item(raw) -> tuple[str, int, str, datetime] | None:
    """(event_id, staff_id, action, at) of a queued clock, or None when it does not parse."""
    if not isinstance(raw, dict):
        return None
    event_id, staff_id, action = raw.get("event_id"), raw.get("staff_id"), raw.get("action")
    at = parse_datetime(raw["at"]) if isinstance(raw.get("at"), str) else None
    if not (isinstance(event_id, str) and 0 < len(event_id) <= 100 and isinstance(staff_id, int)
            and action in ACTIONS and at is not None and timezone.is_aware(at)):
        return None
    return event_id, staff_id, action, at


def _clock(device, staff: Staff | None, action: str, at: datetime) -> dict:
    """One queued clock through the staff clock: its answer without the event id."""
    if staff is None:
        return {"status": "refused", "code": "staff_not_found", "detail": "No such staff member in this hotel."}
    try:
        if action == "clock_in":
            result = services.staff_clock_in(staff=staff, method="kiosk", device=device, at=at)
        else:
            result = services.staff_clock_out(staff=staff, device=device, at=at)
    except DomainError as error:  # the clock's refusal (already_on_duty, not_on_duty, time_in_future, ...)
        return {"status": "refused", "staff_id": staff.pk, "name": staff.full_name, "action": action,
                **error.as_dict()}
    return {"status": "recorded", "staff_id": staff.pk, "action": action, "clock_time": result.clock_time.isoformat()}


@csrf_exempt  # authorised by the device key in the Authorization header, never by a cookie
@require_POST
def kiosk_push(request, hotel_slug):
    """POST the kiosk's queued clocks; one result per item, in the items' order. An item that does not
    parse is answered `invalid` and the others are run; only a body without a list of items is a 400."""
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
    results, parsed = {}, {}
    for index, raw in enumerate(items):
        parsed[index] = _parse_item(raw)
        if parsed[index] is None:
            event_id = raw.get("event_id") if isinstance(raw, dict) else None
            results[index] = {"event_id": event_id if isinstance(event_id, str) else None, "status": "invalid",
                              "code": "invalid", "detail": "Each item needs an event_id (1 to 100 characters), a "
                              "staff_id, an action (clock_in or clock_out) and an `at` with its UTC offset."}
            del parsed[index]
    claims, known = events_claim(request, {i: (item[0], items[i]) for i, item in parsed.items()})
    results.update(known)
    try:
        people = Staff.objects.filter(organization=device.organization, is_active=True,
                                      pk__in=[parsed[i][1] for i in claims]).in_bulk()
        for index in sorted(claims, key=lambda i: parsed[i][3]):  # in time order
            event_id, staff_id, action, at = parsed[index]
            results[index] = {"event_id": event_id, **_clock(device, people.get(staff_id), action, at)}
    finally:
        events_complete(claims, results)
    return JsonResponse({"results": [{**results[i], "index": i} for i in range(len(items))]})


def kiosk_service_worker(request, hotel_slug):
    """The kiosk's service worker, under the kiosk's own path so its scope covers the page."""
    get_object_or_404(Organization, slug=hotel_slug)
    response: HttpResponse = render(request, "offline_sw.js", {"cache_name": kiosk_cache_name(hotel_slug),
                                                                      "never_cached_json": '["/kiosk/manifest"]'},
                                    content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    return response
