"""Offline batches: a device's events recorded late, each judged at its own time, in time order."""

from datetime import datetime
from typing import TypedDict

from django.db import transaction
from django.db.models import Q

from attendance import registry
from attendance.exceptions import Refused
from attendance.models import CheckIn, Kind
from attendance.plugins import CheckInContext
from attendance.services.checkin import check_in
from attendance.services.common import Attendee, attendee_get_for_update
from attendance.services.ending import session_close_locked
from config.errors import DomainError
from organizations.models import DeviceKey, Organization


class OfflineEvent(TypedDict, total=False):
    action: str  # "check_in" | "check_out"
    attendee: Attendee
    at: datetime
    event_id: str
    method: str
    location: str
    expected_checkout_at: datetime | None
    kind: str  # a check-in's kind (default: a visit)
    metadata: dict  # stored on the check-in
    options: dict  # handed to the plugins, as check_in's own options


def record_bulk(
    *, organization: Organization, device: DeviceKey | None, items: list[OfflineEvent], actor=None
) -> list[dict]:
    """Record a device's offline batch. Each item: action ("check_in"|"check_out"), attendee, at,
    event_id, and optionally method, location, expected_checkout_at, and a check-in's kind,
    metadata and plugin options (e.g. a gym desk's courtesy pass).

    Items run in time order, each in its own transaction, and each is judged by the state at its
    own time (a visit from yesterday is not refused because the person is in now). A check-in's
    end is the batch's next check-out of that attendee when it has none of its own, so a past
    visit is written whole. An event id is recorded once: a replayed or concurrently pushed event
    answers "duplicate", a refused one the same refusal (recorded once). Call outside any
    transaction. Returns one result per item, in input order.
    """
    source = f"device:{device.pk}" if device is not None else "bulk"
    results: list[dict] = [{} for _ in items]
    order = sorted(range(len(items)), key=lambda i: items[i]["at"])
    ends = _paired_check_outs(items, order)
    for index in order:
        item = items[index]
        event_id = str(item["event_id"])
        base = {"index": index, "event_id": event_id}
        try:
            if item["action"] == "check_in":
                result = check_in(
                    organization=organization, attendee=item["attendee"], method=item.get("method") or "kiosk",
                    source=source, at=item["at"], location=item.get("location", ""), device=device, actor=actor,
                    expected_checkout_at=item.get("expected_checkout_at") or ends.get(index), external_id=event_id,
                    kind=item.get("kind") or Kind.VISIT, metadata=item.get("metadata"), options=item.get("options"),
                )
                status = "recorded" if result.created else "duplicate"
                results[index] = {**base, "status": status, "check_in_id": result.check_in.pk}
            else:
                results[index] = {
                    **base,
                    **_check_out_event(organization=organization, device=device, source=source, item=item, actor=actor),
                }
        except DomainError as error:
            results[index] = {**base, "status": "refused", "code": error.code, "detail": error.detail}
    return results


def _paired_check_outs(items: list[OfflineEvent], order: list[int]) -> dict[int, datetime]:
    """Map each check-in item to the time of the same attendee's next item when that is a check-out."""
    ends, last_check_in = {}, {}
    for index in order:
        item = items[index]
        who = (type(item["attendee"])._meta.concrete_model, item["attendee"].pk)
        if item["action"] == "check_in":
            last_check_in[who] = index
        elif who in last_check_in:
            ends[last_check_in.pop(who)] = item["at"]
    return ends


def _check_out_event(
    *, organization: Organization, device: DeviceKey | None, source: str, item: OfflineEvent, actor
) -> dict:
    at, tag = item["at"], f"{source}:{item['event_id']}"
    attendee = item["attendee"]
    ct = registry.content_type_for(attendee)
    mine = CheckIn.objects.filter(organization=organization, attendee_type=ct, attendee_id=attendee.pk)
    with transaction.atomic():
        locked = attendee_get_for_update(attendee)
        # Read under the lock: an identical push running at the same moment may just have recorded it.
        done = mine.filter(metadata__checkout_event_id=tag).first()
        if done is not None:
            return {"status": "duplicate", "check_in_id": done.pk}
        # The session open at the event's time: still open, or a past visit of this batch written
        # whole (its check-in took this check-out's time as its end).
        row = (
            mine.filter(checked_in_at__lte=at)
            .filter(Q(checked_out_at__isnull=True) | Q(checked_out_at=at))
            .exclude(metadata__has_key="checkout_event_id")
            .order_by("-checked_in_at")
            .first()
        )
        if row is None:
            raise Refused(f"{locked.attendance_name()} had no open session at {at.isoformat()}.", code="not_checked_in")
        row.metadata = {**row.metadata, "checkout_event_id": tag}
        row.auto_closed = False  # ended by this real check-out, whichever write set the time
        row.save(update_fields=["metadata", "auto_closed"])
        if row.checked_out_at is None:
            ctx = CheckInContext(
                organization=organization, attendee=locked, method=row.method, source=source, at=at,
                actor=actor, device=device, location=item.get("location", ""),
            )
            session_close_locked(ctx=ctx, row=row, at=at)
    return {"status": "recorded", "check_in_id": row.pk}
