"""Offline batches: a device's events recorded late, each judged in time order."""

from datetime import datetime
from typing import TypedDict

from django.db import transaction

from attendance import registry
from attendance.exceptions import Refused
from attendance.models import CheckIn
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


def record_bulk(
    *, organization: Organization, device: DeviceKey | None, items: list[OfflineEvent], actor=None
) -> list[dict]:
    """Record a device's offline batch. Each item: action ("check_in"|"check_out"), attendee, at,
    event_id, and optionally method and location. Items run in time order, each in its own
    transaction; a replayed event_id answers "duplicate". Returns one result per item, in input order.
    """
    source = f"device:{device.pk}" if device is not None else "bulk"
    results: list[dict] = [{} for _ in items]
    for index, item in sorted(enumerate(items), key=lambda pair: pair[1]["at"]):
        event_id = str(item["event_id"])
        base = {"index": index, "event_id": event_id}
        try:
            if item["action"] == "check_in":
                result = check_in(
                    organization=organization, attendee=item["attendee"], method=item.get("method") or "kiosk",
                    source=source, at=item["at"], location=item.get("location", ""), device=device, actor=actor,
                    external_id=event_id,
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


def _check_out_event(
    *, organization: Organization, device: DeviceKey | None, source: str, item: OfflineEvent, actor
) -> dict:
    event_id = str(item["event_id"])
    attendee = item["attendee"]
    ct = registry.content_type_for(attendee)
    done = CheckIn.objects.filter(
        organization=organization, attendee_type=ct, attendee_id=attendee.pk,
        metadata__checkout_event_id=f"{source}:{event_id}",
    ).first()
    if done is not None:
        return {"status": "duplicate", "check_in_id": done.pk}
    with transaction.atomic():
        locked = attendee_get_for_update(attendee)
        # The session that was open at the event's time (events may arrive out of order).
        row = (
            CheckIn.objects.filter(
                attendee_type=ct, attendee_id=attendee.pk, checked_in_at__lte=item["at"], checked_out_at__isnull=True
            )
            .order_by("-checked_in_at")
            .first()
        )
        if row is None:
            raise Refused(f"{locked.attendance_name()} had no open session at {item['at'].isoformat()}.", code="not_checked_in")
        row.metadata = {**row.metadata, "checkout_event_id": f"{source}:{event_id}"}
        row.save(update_fields=["metadata"])
        ctx = CheckInContext(
            organization=organization, attendee=locked, method=row.method, source=source, at=item["at"],
            actor=actor, device=device, location=item.get("location", ""),
        )
        session_close_locked(ctx=ctx, row=row, at=item["at"])
    return {"status": "recorded", "check_in_id": row.pk}
