"""Staff clock writes: clock in, clock out, toggle (self or on behalf), auto check-out, schedules.

Every clock goes through the attendance engine (source "staff"), which locks the staff row,
writes the CheckIn, and runs staff.plugins.StaffClockPlugin in the same transaction; the live
event `clock-status-updated` on `hotel-{slug}` is sent after commit.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from attendance import registry, schedules
from attendance import services as engine
from attendance.exceptions import Refused
from attendance.models import CheckIn, WeeklyShift
from config.errors import DomainError
from organizations.models import Organization
from organizations.realtime import broadcast
from organizations.services import audit_log_record
from staff.events import CLOCK_EVENT, clock_payload, hotel_channel
from staff.models import Staff

logger = logging.getLogger(__name__)

SOURCE = "staff"
CLOCK_METHODS = ("web", "kiosk", "api", "mobile_app", "manual")
DEFAULT_OPTIONS = {
    "auto_checkout_grace_minutes": 30,  # after the shift's end, a forgotten clock-out is closed
    "max_session_hours": 16,  # without a matching shift, close a forgotten clock-out after this
    "standard_day_hours": 8,  # overtime threshold per day for staff with no weekly schedule
}


def staff_options(organization: Organization) -> dict:
    """The hotel's staff options: settings["staff"] over DEFAULT_OPTIONS."""
    return {**DEFAULT_OPTIONS, **(organization.option("staff") or {})}


@dataclass(frozen=True)
class ClockResult:
    staff_id: int
    action: str  # "clock_in" | "clock_out"
    clock_time: datetime
    check_in: CheckIn
    replayed: bool = False  # an Idempotency-Key retry answered with the first result

    @property
    def is_on_duty(self) -> bool:
        return self.action == "clock_in"


def expected_clock_out(*, staff: Staff, at: datetime) -> datetime:
    """When a session opened at `at` is closed if nobody clocks out: shift end + grace, else a cap."""
    organization = staff.organization
    options = staff_options(organization)
    shifts = list(
        WeeklyShift.objects.filter(
            organization=organization, attendee_type=registry.content_type_for(Staff), attendee_id=staff.pk
        )
    )
    window = schedules.shift_for(shifts, at, organization.tz)
    if window is not None and window.end > at:
        return window.end + timedelta(minutes=options["auto_checkout_grace_minutes"])
    return at + timedelta(hours=options["max_session_hours"])


def _on_behalf(staff: Staff, actor, reason: str) -> str:
    """Return the audit reason when `actor` clocks for someone else ("" when for themselves)."""
    if actor is None or getattr(actor, "pk", None) == staff.user_id:
        return ""
    if not reason.strip():
        raise DomainError("Say why you are clocking for someone else.", code="reason_required")
    return reason.strip()


def _scoped_key(staff: Staff, idempotency_key: str | None) -> str | None:
    # Keys are unique per organization in the engine; scope them to the person so two people's
    # apps that happen to pick the same key never answer each other.
    return f"staff:{staff.pk}:{idempotency_key}" if idempotency_key else None


def _replay(staff: Staff, key: str | None) -> ClockResult | None:
    """The result of an earlier clock made with this idempotency key, if any."""
    if key is None:
        return None
    opened = CheckIn.objects.filter(organization=staff.organization, idempotency_key=key).first()
    if opened is not None:
        return ClockResult(staff_id=staff.pk, action="clock_in", clock_time=opened.checked_in_at, check_in=opened,
                           replayed=True)
    closed = CheckIn.objects.filter(
        organization=staff.organization, attendee_type=registry.content_type_for(Staff), attendee_id=staff.pk,
        metadata__checkout_idempotency_key=key,
    ).first()
    if closed is not None:
        return ClockResult(staff_id=staff.pk, action="clock_out", clock_time=closed.checked_out_at, check_in=closed,
                           replayed=True)
    return None


def staff_clock_in(
    *, staff: Staff, method: str = "web", actor=None, device=None, at: datetime | None = None, reason: str = "",
    idempotency_key: str | None = None,
) -> ClockResult:
    """Clock `staff` in, or raise Refused `already_on_duty` (or another engine refusal).

    With `idempotency_key` a retry answers the first result. Call outside any transaction (the
    engine records refusals in their own).
    """
    on_behalf = _on_behalf(staff, actor, reason)
    key = _scoped_key(staff, idempotency_key)
    replay = _replay(staff, key)
    if replay is not None:
        return replay
    # Already on duty is refused by the engine under the staff row's lock (the channel's policy, staff.apps).
    result = engine.check_in(
        organization=staff.organization, attendee=staff, method=method, source=SOURCE, at=at, actor=actor,
        device=device, expected_checkout_at=expected_clock_out(staff=staff, at=at or timezone.now()),
        options={"on_behalf_reason": on_behalf}, idempotency_key=key,
    )
    return ClockResult(staff_id=staff.pk, action="clock_in", clock_time=result.check_in.checked_in_at,
                       check_in=result.check_in, replayed=not result.created)


def staff_clock_out(
    *, staff: Staff, actor=None, device=None, at: datetime | None = None, reason: str = "",
    idempotency_key: str | None = None,
) -> ClockResult:
    """Clock `staff` out, or raise Refused `not_on_duty`. With `idempotency_key` a retry answers the first result."""
    on_behalf = _on_behalf(staff, actor, reason)
    key = _scoped_key(staff, idempotency_key)
    replay = _replay(staff, key)
    if replay is not None:
        return replay
    try:
        with transaction.atomic():
            row = engine.check_out(organization=staff.organization, attendee=staff, at=at, source=SOURCE,
                                   actor=actor, device=device)
            if key:
                row.metadata = {**row.metadata, "checkout_idempotency_key": key}
                row.save(update_fields=["metadata"])
            if on_behalf:
                audit_log_record(
                    organization=staff.organization, action="staff.clock_out_on_behalf", actor=actor, target=staff,
                    reason=on_behalf, data={"check_in_id": row.pk, "clock_time": row.checked_out_at.isoformat()},
                )
    except Refused as refused:
        if refused.code == "not_checked_in":
            raise Refused(f"{staff.full_name} is not on duty.", code="not_on_duty") from refused
        raise
    return ClockResult(staff_id=staff.pk, action="clock_out", clock_time=row.checked_out_at, check_in=row)


def staff_clock_toggle(
    *, staff: Staff, method: str = "web", actor=None, device=None, at: datetime | None = None,
    idempotency_key: str | None = None,
) -> ClockResult:
    """Clock out if on duty, else in; the decision is taken with the staff row locked.

    A concurrent toggle that clocked in meanwhile makes this one refused `already_on_duty`
    rather than silently clocking out. With `idempotency_key` a retry answers the first result.
    """
    # `at` stays None unless given: the engine then takes the time once it holds the lock, so a
    # clock-out cannot land before a clock-in that committed while this request waited.
    replay = _replay(staff, _scoped_key(staff, idempotency_key))
    if replay is not None:
        return replay
    with transaction.atomic():
        if engine.attendee_get_for_update(staff).session_active:
            return staff_clock_out(staff=staff, actor=actor, device=device, at=at, idempotency_key=idempotency_key)
    return staff_clock_in(staff=staff, method=method, actor=actor, device=device, at=at,
                          idempotency_key=idempotency_key)


# --- auto check-out ---------------------------------------------------------------------------------


def staff_announce_auto_closed(*, organization: Organization, check_in_ids: list[int]) -> int:
    """Broadcast a clock-out for each staff session the engine's auto check-out closed; return how many."""
    rows = CheckIn.objects.filter(
        organization=organization, pk__in=check_in_ids, attendee_type=registry.content_type_for(Staff)
    ).values_list("attendee_id", "checked_out_at")
    closed = dict(rows)
    for staff in Staff.objects.filter(pk__in=closed, session_active=False):
        broadcast(hotel_channel(organization.slug), CLOCK_EVENT,
                  clock_payload(staff, action="clock_out", at=closed[staff.pk]))
    return len(closed)


def staff_auto_checkout(*, organization: Organization, now: datetime | None = None) -> int:
    """Close the hotel's forgotten clock-outs whose shift end + grace has passed (flagged auto_closed)."""
    return engine.checkout_expired(organization=organization, before=now, target_model=Staff)


# --- weekly schedule ----------------------------------------------------------------------------


def staff_shifts_set(*, staff: Staff, shifts: list[dict], actor=None) -> list[WeeklyShift]:
    """Replace the staff member's weekly schedule. Each shift: weekday (0=Mon), start_time, end_time.

    An end at or before the start ends the next day (an overnight shift belongs to the day it starts).
    """
    weekdays = [s["weekday"] for s in shifts]
    if len(weekdays) != len(set(weekdays)):
        raise DomainError("One shift per weekday.", code="duplicate_weekday")
    for s in shifts:
        if not 0 <= s["weekday"] <= 6:
            raise DomainError("weekday is 0 (Monday) to 6 (Sunday).", code="invalid_weekday")
        if not isinstance(s["start_time"], time) or not isinstance(s["end_time"], time):
            raise DomainError("start_time and end_time are times of day.", code="invalid_time")
        if s["start_time"] == s["end_time"]:
            raise DomainError("A shift cannot start and end at the same time.", code="empty_shift")
    ct = registry.content_type_for(Staff)
    with transaction.atomic():
        WeeklyShift.objects.filter(attendee_type=ct, attendee_id=staff.pk).delete()
        created = WeeklyShift.objects.bulk_create(
            WeeklyShift(organization=staff.organization, attendee_type=ct, attendee_id=staff.pk, weekday=s["weekday"],
                        start_time=s["start_time"], end_time=s["end_time"])
            for s in sorted(shifts, key=lambda s: s["weekday"])
        )
        audit_log_record(
            organization=staff.organization, action="staff.shifts_set", actor=actor, target=staff,
            data={"shifts": [{"weekday": s["weekday"], "start_time": s["start_time"].isoformat(),
                              "end_time": s["end_time"].isoformat()} for s in shifts]},
        )
    return created
