"""Staff clock writes: clock in, clock out, toggle (self or on behalf), auto check-out, schedules.

Every clock goes through the attendance engine (source "staff"), which locks the staff row,
writes the CheckIn, and runs staff.plugins.StaffClockPlugin in the same transaction; the live
event `clock-status-updated` on `hotel-{slug}` is sent after commit.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from attendance import registry, schedules
from attendance import services as engine
from attendance.exceptions import Refused
from attendance.models import CheckIn, WeeklyShift, open_sessions_of
from config.errors import DomainError
from organizations.dates import local_today
from organizations.models import Organization
from organizations.realtime import broadcast
from organizations.services import audit_log_record
from staff.events import CLOCK_EVENT, clock_payload, hotel_channel
from staff.models import PastRate, Staff
from staff.policies import on_behalf_reason

logger = logging.getLogger(__name__)

SOURCE = "staff"
CLOCK_METHODS = ("web", "kiosk", "api", "mobile_app", "manual")
DEFAULT_OPTIONS = {
    "auto_checkout_grace_minutes": 30,  # after the shift's end, a forgotten clock-out is closed
    "max_session_hours": 16,  # without a matching shift, close a forgotten clock-out after this
    "standard_day_hours": 8,  # overtime threshold per day for staff with no weekly schedule
    "paid_breaks": False,  # a gap between two sessions of one shift day counts as worked time
    "early_clock_in_minutes": 30,  # a clock-in this long before a shift starts is still "on shift"
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


def _on_behalf(staff: Staff, actor, reason: str) -> dict:
    """The engine options of a clock by `actor`: the audit reason when it is for someone else."""
    return {"on_behalf_reason": on_behalf_reason(staff_user_id=staff.user_id, actor=actor, reason=reason)}


def staff_clock_in(
    *, staff: Staff, method: str = "web", actor=None, device=None, at: datetime | None = None, reason: str = "",
) -> ClockResult:
    """Clock `staff` in, or raise Refused `already_on_duty` (or another engine refusal).

    Call outside any transaction (the engine records refusals in their own).
    """
    # Already on duty is refused, and the expected clock-out set, by the engine under the staff row's
    # lock (the channel's policy, staff.policies); the plugin audits a clock for someone else.
    result = engine.check_in(
        organization=staff.organization, attendee=staff, method=method, source=SOURCE, at=at, actor=actor,
        device=device, options=_on_behalf(staff, actor, reason),
    )
    return ClockResult(staff_id=staff.pk, action="clock_in", clock_time=result.check_in.checked_in_at,
                       check_in=result.check_in)


def staff_clock_out(
    *, staff: Staff, actor=None, device=None, at: datetime | None = None, reason: str = "",
) -> ClockResult:
    """Clock `staff` out, or raise Refused `not_on_duty`."""
    options = _on_behalf(staff, actor, reason)
    try:
        row = engine.check_out(organization=staff.organization, attendee=staff, at=at, source=SOURCE,
                               actor=actor, device=device, options=options)
    except Refused as refused:
        if refused.code == "not_checked_in":
            raise Refused(f"{staff.full_name} is not on duty.", code="not_on_duty") from refused
        raise
    return ClockResult(staff_id=staff.pk, action="clock_out", clock_time=row.checked_out_at, check_in=row)


def staff_clock_toggle(
    *, staff: Staff, method: str = "web", actor=None, device=None, at: datetime | None = None,
) -> ClockResult:
    """Clock out if on duty, else in: the engine's toggle, which decides with the staff row locked.

    A concurrent toggle that clocked in meanwhile makes this one refused `already_on_duty` rather
    than silently clocking out; a session past its expected clock-out is a forgotten one, closed at
    that time, and the press clocks in (the hotel's policy, staff.policies).
    """
    action, row = engine.toggle(organization=staff.organization, attendee=staff, at=at, method=method,
                                source=SOURCE, actor=actor, device=device, options=_on_behalf(staff, actor, ""))
    if action == "check_out":
        return ClockResult(staff_id=staff.pk, action="clock_out", clock_time=row.checked_out_at, check_in=row)
    return ClockResult(staff_id=staff.pk, action="clock_in", clock_time=row.checked_in_at, check_in=row)


# --- auto check-out ---------------------------------------------------------------------------------


def staff_announce_auto_closed(*, organization: Organization, check_in_ids: list[int]) -> int:
    """Broadcast a clock-out for each staff session the engine's auto check-out closed; return how many."""
    rows = CheckIn.objects.filter(
        organization=organization, pk__in=check_in_ids, attendee_type=registry.content_type_for(Staff)
    ).values_list("attendee_id", "checked_out_at")
    closed = dict(rows)
    on_duty = Exists(open_sessions_of(Staff).filter(attendee_id=OuterRef("pk")))
    for staff in Staff.objects.filter(~on_duty, pk__in=closed):
        broadcast(hotel_channel(organization.slug), CLOCK_EVENT,
                  clock_payload(staff, action="clock_out", at=closed[staff.pk]))
    return len(closed)


def staff_auto_checkout(*, organization: Organization, now: datetime | None = None) -> int:
    """Close the hotel's forgotten clock-outs whose shift end + grace has passed (flagged auto_closed)."""
    return engine.checkout_expired(organization=organization, before=now, target_model=Staff)


# --- weekly schedule ----------------------------------------------------------------------------


def staff_shifts_set(
    *, staff: Staff, shifts: list[dict], actor=None, effective_from: date | None = None,
) -> list[WeeklyShift]:
    """Replace the staff member's weekly schedule from the local day `effective_from` (default: today,
    or always for a first roster). Each shift: weekday (0=Mon), start_time, end_time.

    Rosters are effective-dated: shifts in force before that day end the day before and keep
    classifying (and costing) the days they covered; shifts that would only start on or after it are
    dropped. An end at or before the start ends the next day (an overnight shift belongs to the day
    it starts).
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
        engine.attendee_get_for_update(staff)  # one roster change of a person at a time
        rows = WeeklyShift.objects.filter(attendee_type=ct, attendee_id=staff.pk)
        if effective_from is None and rows.exists():
            effective_from = local_today(staff.organization.tz)
        if effective_from is not None:
            rows.filter(valid_from__gte=effective_from).delete()
            rows.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=effective_from)).update(
                valid_until=effective_from - timedelta(days=1))
        created = WeeklyShift.objects.bulk_create(
            WeeklyShift(organization=staff.organization, attendee_type=ct, attendee_id=staff.pk, weekday=s["weekday"],
                        start_time=s["start_time"], end_time=s["end_time"], valid_from=effective_from)
            for s in sorted(shifts, key=lambda s: s["weekday"])
        )
        audit_log_record(
            organization=staff.organization, action="staff.shifts_set", actor=actor, target=staff,
            data={"effective_from": effective_from.isoformat() if effective_from else None,
                  "shifts": [{"weekday": s["weekday"], "start_time": s["start_time"].isoformat(),
                              "end_time": s["end_time"].isoformat()} for s in shifts]},
        )
    return created


def staff_rate_set(*, staff: Staff, hourly_rate: Decimal, actor=None, effective_from: date | None = None) -> Staff:
    """Change the hourly rate from the local day `effective_from` (default today); days before keep the
    rate in force then (a PastRate row). Refused `rate_backdated` before the last change, and
    `rate_in_future` after today: only the rate in force now lives on the staff row."""
    today = local_today(staff.organization.tz)
    effective_from = effective_from or today
    if hourly_rate < 0:
        raise DomainError("The hourly rate cannot be negative.", code="invalid_rate")
    if effective_from > today:
        raise DomainError("A rate takes effect today at the latest.", code="rate_in_future")
    with transaction.atomic():
        locked = engine.attendee_get_for_update(staff)
        last = PastRate.objects.filter(staff=locked).order_by("-until").first()
        if last is not None and effective_from <= last.until:
            raise DomainError(f"The rate was already changed from {last.until + timedelta(days=1)}; a change "
                              "cannot reach back before it.", code="rate_backdated")
        previous = locked.hourly_rate
        old_rate_days_end = effective_from - timedelta(days=1)
        if previous != hourly_rate and (last is None or old_rate_days_end > last.until):
            PastRate.objects.create(staff=locked, hourly_rate=previous, until=old_rate_days_end)
        Staff.objects.filter(pk=locked.pk).update(hourly_rate=hourly_rate)
        audit_log_record(
            organization=staff.organization, action="staff.rate_set", actor=actor, target=locked,
            data={"from": str(previous), "to": str(hourly_rate), "effective_from": effective_from.isoformat()},
        )
    staff.hourly_rate = hourly_rate
    return staff
