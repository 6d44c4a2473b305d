"""Staff reads: who the caller is, the live board's snapshot, and timesheets.

Each read runs a fixed number of queries whatever the hotel's size (asserted in the tests).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils import timezone

from attendance import registry, schedules
from attendance.models import CheckIn, Kind, WeeklyShift, with_open_session
from config.errors import NotFound
from organizations.dates import local_date, period_bounds
from organizations.models import Organization
from staff.events import iso_utc
from staff.models import PastRate, Staff

RECENT_LIMIT = 20
HALF_DAY_KINDS = (Kind.HALF_DAY_MORNING, Kind.HALF_DAY_AFTERNOON)
DECIMAL_KEYS = ("hours_worked", "scheduled_hours", "overtime_hours", "break_hours", "pay")
COUNT_KEYS = ("days_worked", "sessions", "breaks", "half_days", "late_arrivals", "late_minutes", "early_leaves",
              "auto_closed", "open_sessions")


class NotStaff(NotFound):
    code = "not_staff"


def staff_for_user(*, organization: Organization, user) -> Staff:
    """The caller's staff record in this hotel, or 404 `not_staff`."""
    staff = Staff.objects.select_related("organization").filter(organization=organization, user=user).first()
    if staff is None or user is None:
        raise NotStaff("You are not on the staff of this hotel.")
    return staff


def staff_get(*, organization: Organization, staff_id: int) -> Staff:
    staff = Staff.objects.select_related("organization").filter(organization=organization, pk=staff_id).first()
    if staff is None:
        raise NotFound("No such staff member in this hotel.", code="staff_not_found")
    return staff


def _person(staff: Staff) -> dict:
    return {
        "staff_id": staff.pk, "user_id": staff.user_id, "first_name": staff.first_name,
        "last_name": staff.last_name, "department": staff.department, "position": staff.position,
    }


def _shifts_by_staff(organization: Organization, staff_ids) -> dict[int, list[WeeklyShift]]:
    by_staff: dict[int, list[WeeklyShift]] = defaultdict(list)
    rows = WeeklyShift.objects.filter(organization=organization, attendee_type=registry.content_type_for(Staff),
                                      attendee_id__in=list(staff_ids))
    for shift in rows:
        by_staff[shift.attendee_id].append(shift)
    return by_staff


def shift_warning(*, staff: Staff, at, shifts: list[WeeklyShift] | None = None) -> str | None:
    """Why a clock-in at `at` is outside the person's weekly schedule, or None when it is inside it
    (from `early_clock_in_minutes` before a shift's start to its end) or the person has no schedule."""
    from staff.services import staff_options

    organization = staff.organization
    if shifts is None:
        shifts = _shifts_by_staff(organization, [staff.pk])[staff.pk]
    if not shifts:
        return None
    tz = organization.tz
    window = schedules.shift_for(shifts, at, tz)
    early = timedelta(minutes=staff_options(organization)["early_clock_in_minutes"])
    if window is None:
        return f"Clocked in at {at.astimezone(tz):%H:%M}, with no shift today."
    if window.start - early <= at <= window.end:
        return None
    return (f"Clocked in at {at.astimezone(tz):%H:%M}, outside the shift "
            f"{window.start.astimezone(tz):%H:%M}–{window.end.astimezone(tz):%H:%M}.")


def board_snapshot(*, organization: Organization, recent_limit: int = RECENT_LIMIT) -> dict:
    """Everything the big screen shows: who is on duty since when (and who clocked in outside their
    shift), counts per department, recent events."""
    people = {s.pk: s for s in with_open_session(Staff.objects.filter(organization=organization))
              .select_related("organization").annotate(on_duty_since=Staff.on_duty_since_subquery())}
    on_duty = sorted((s for s in people.values() if s.is_on_duty), key=lambda s: (s.on_duty_since or timezone.now(), s.pk))
    shifts = _shifts_by_staff(organization, [s.pk for s in on_duty])
    departments: dict[str, dict] = {}
    for s in people.values():
        if not s.is_active and not s.is_on_duty:
            continue
        entry = departments.setdefault(s.department or "Other", {"department": s.department or "Other", "on_duty": 0, "total": 0})
        entry["total"] += 1
        entry["on_duty"] += 1 if s.is_on_duty else 0
    rows = CheckIn.objects.filter(organization=organization, attendee_type=registry.content_type_for(Staff))
    fields = ("attendee_id", "checked_in_at", "checked_out_at", "auto_closed")
    ins = rows.order_by("-checked_in_at", "-id").values(*fields)[:recent_limit]
    outs = rows.filter(checked_out_at__isnull=False).order_by("-checked_out_at", "-id").values(*fields)[:recent_limit]
    events = [(r["checked_in_at"], "clock_in", r) for r in ins] + [(r["checked_out_at"], "clock_out", r) for r in outs]
    events.sort(key=lambda e: e[0], reverse=True)
    recent = []
    for at, action, row in events[:recent_limit]:
        staff = people.get(row["attendee_id"])
        if staff is None:
            continue
        recent.append({**_person(staff), "is_on_duty": action == "clock_in", "clock_time": iso_utc(at),
                       "action": action, "auto_closed": action == "clock_out" and row["auto_closed"]})
    return {
        "hotel": {"slug": organization.slug, "name": organization.name, "time_zone": organization.time_zone},
        "at": iso_utc(timezone.now()),
        "on_duty": [{**_person(s), "since": iso_utc(s.on_duty_since) if s.on_duty_since else None,
                     "shift_warning": shift_warning(staff=s, at=s.on_duty_since, shifts=shifts[s.pk]) if s.on_duty_since else None}
                    for s in on_duty],
        "departments": sorted(departments.values(), key=lambda d: d["department"]),
        "totals": {"on_duty": len(on_duty), "staff": sum(d["total"] for d in departments.values())},
        "recent": recent,
    }


# --- timesheets ---------------------------------------------------------------------------------


def _hours(delta: timedelta) -> Decimal:
    return (Decimal(delta.total_seconds()) / Decimal(3600)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class _Day:
    day: date
    window: schedules.ShiftWindow | None = None  # the shift of the day, if one applies
    sessions: list = field(default_factory=list)


@dataclass
class _DayFigures:
    on_clock: timedelta
    breaks: list  # (clocked out, clocked back in)
    worked: timedelta
    late_minutes: int
    early_leave_minutes: int
    kind: str


def _rate_on(day: date, past_rates: list, current: Decimal) -> Decimal:
    """The hourly rate in force on `day`: the first past rate still running then, else the current one."""
    return next((r.hourly_rate for r in past_rates if day <= r.until), current)


def timesheet(
    *, organization: Organization, start: date, end: date, staff_ids: list[int] | None = None,
    include_sessions: bool = False, now=None,
) -> dict:
    """Hours, breaks, overtime, half days, late arrivals and auto-closed sessions per staff member for
    the local dates start..end (both included) in the hotel's time zone.

    A session belongs to the local day its shift starts (an overnight shift to the evening it began),
    else to the local day it began. A day with a shift is judged once: late by its first clock-in,
    early leave by its last clock-out, its kind by the time worked; a gap between two sessions of the
    day is a break, paid when settings["staff"]["paid_breaks"] is on. Open sessions count up to `now`.
    Overtime per day is the time worked beyond that day's scheduled shift; a day off counts whole; a
    day without any roster gets settings["staff"]["standard_day_hours"] (8 by default). The roster
    and the hourly rate of each day are the ones in force that day (effective-dated).
    """
    from staff.services import staff_options

    tz = organization.tz
    now = now or timezone.now()
    options = staff_options(organization)
    lo, hi = period_bounds(start, end, tz)
    ct = registry.content_type_for(Staff)
    people = Staff.objects.filter(organization=organization)
    if staff_ids is not None:
        people = people.filter(pk__in=staff_ids)
    people = list(people.order_by("department", "last_name", "first_name", "id"))
    ids = [s.pk for s in people]
    shifts_by_staff: dict[int, list[WeeklyShift]] = defaultdict(list)
    for shift in WeeklyShift.objects.filter(organization=organization, attendee_type=ct, attendee_id__in=ids):
        shifts_by_staff[shift.attendee_id].append(shift)
    rates_by_staff: dict[int, list[PastRate]] = defaultdict(list)
    for rate in PastRate.objects.filter(staff_id__in=ids, until__gte=start).order_by("until"):
        rates_by_staff[rate.staff_id].append(rate)
    # A session belongs to the period when its shift day does; fetch one day either side for overnights.
    rows_by_staff: dict[int, list[CheckIn]] = defaultdict(list)
    for row in CheckIn.objects.filter(
        Q(organization=organization, attendee_type=ct, attendee_id__in=ids),
        checked_in_at__gte=lo - timedelta(days=1), checked_in_at__lt=hi + timedelta(days=1),
    ).order_by("checked_in_at", "id"):
        rows_by_staff[row.attendee_id].append(row)

    context = {"start": start, "end": end, "tz": tz, "now": now, "policy": schedules.policy_for(organization),
               "standard_day": timedelta(hours=options["standard_day_hours"]), "paid_breaks": options["paid_breaks"]}
    result = []
    totals: dict = {key: Decimal("0.00") for key in DECIMAL_KEYS} | {key: 0 for key in COUNT_KEYS}
    for staff in people:
        entry = _staff_timesheet(staff, shifts_by_staff[staff.pk], rates_by_staff[staff.pk], rows_by_staff[staff.pk],
                                 context, include_sessions)
        for key in (*DECIMAL_KEYS, *COUNT_KEYS):
            totals[key] += entry[key]
        result.append({k: (str(v) if isinstance(v, Decimal) else v) for k, v in entry.items()})
    return {
        "hotel": {"slug": organization.slug, "name": organization.name, "time_zone": organization.time_zone},
        "start": start.isoformat(), "end": end.isoformat(),
        "staff": result,
        "totals": {k: (str(v) if isinstance(v, Decimal) else v) for k, v in totals.items()},
    }


def _day_figures(entry: _Day, context: dict) -> _DayFigures:
    sessions, window, policy = entry.sessions, entry.window, context["policy"]
    on_clock = sum((max((r.checked_out_at or context["now"]) - r.checked_in_at, timedelta()) for r in sessions),
                   timedelta())
    breaks = [(a.checked_out_at, b.checked_in_at) for a, b in zip(sessions, sessions[1:], strict=False)
              if a.checked_out_at is not None and b.checked_in_at > a.checked_out_at]
    worked = on_clock + (sum((back - out for out, back in breaks), timedelta()) if context["paid_breaks"] else timedelta())
    if window is None:
        return _DayFigures(on_clock, breaks, worked, 0, 0, "")
    first_in, last_out = sessions[0].checked_in_at, sessions[-1].checked_out_at
    return _DayFigures(
        on_clock, breaks, worked,
        late_minutes=schedules.late_minutes(window, first_in, policy),
        early_leave_minutes=schedules.early_leave_minutes(window, last_out, policy) if last_out else 0,
        kind=schedules.classify(window, first_in, first_in + worked, policy, context["tz"]),
    )


def _staff_timesheet(staff, shifts, past_rates, rows, context, include_sessions) -> dict:
    start, end, tz = context["start"], context["end"], context["tz"]
    days: dict[date, _Day] = {}
    counts = defaultdict(int)
    for row in rows:
        window = schedules.shift_for(shifts, row.checked_in_at, tz)
        day = window.day if window is not None else local_date(row.checked_in_at, tz)
        if not start <= day <= end:
            continue
        entry = days.setdefault(day, _Day(day=day))
        entry.window = entry.window or window
        entry.sessions.append(row)
        counts["sessions"] += 1
        counts["auto_closed"] += row.auto_closed
        counts["open_sessions"] += row.checked_out_at is None
    scheduled_total, worked_total, overtime_total, break_total = timedelta(), timedelta(), timedelta(), timedelta()
    worked_by_rate: dict[Decimal, timedelta] = defaultdict(timedelta)
    figures: dict[date, tuple[_DayFigures, timedelta, Decimal]] = {}
    day = start
    while day <= end:
        shift = schedules.shift_on(shifts, day)
        scheduled = schedules.window_for(shift, day, tz).scheduled if shift else timedelta()
        scheduled_total += scheduled
        if day in days:
            f = _day_figures(days[day], context)
            rostered = any(s.applies_on(day) for s in shifts)
            overtime_total += max(f.worked - (scheduled if rostered else context["standard_day"]), timedelta())
            worked_total += f.worked
            break_total += sum((back - out for out, back in f.breaks), timedelta())
            rate = _rate_on(day, past_rates, staff.hourly_rate)
            worked_by_rate[rate] += f.worked
            counts["breaks"] += len(f.breaks)
            counts["half_days"] += f.kind in HALF_DAY_KINDS
            counts["late_arrivals"] += f.late_minutes > 0
            counts["late_minutes"] += f.late_minutes
            counts["early_leaves"] += f.early_leave_minutes > 0
            figures[day] = (f, scheduled, rate)
        day += timedelta(days=1)
    counts["days_worked"] = len(days)
    pay = sum((_hours(worked) * rate for rate, worked in worked_by_rate.items()), Decimal("0"))
    result = {
        "staff_id": staff.pk, "user_id": staff.user_id, "first_name": staff.first_name, "last_name": staff.last_name,
        "department": staff.department, "hourly_rate": str(_rate_on(end, past_rates, staff.hourly_rate)),
        "hours_worked": _hours(worked_total), "scheduled_hours": _hours(scheduled_total),
        "overtime_hours": _hours(overtime_total), "break_hours": _hours(break_total),
        "pay": pay.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        **{k: counts[k] for k in COUNT_KEYS},
    }
    if include_sessions:
        result["days"] = [_day_detail(days[d], *figures[d], tz) for d in sorted(figures)]
    return result


def _day_detail(entry: _Day, f: _DayFigures, scheduled: timedelta, rate: Decimal, tz) -> dict:
    def local(at):
        return f"{at.astimezone(tz):%H:%M}" if at else None

    return {
        "date": entry.day.isoformat(), "hours_worked": str(_hours(f.worked)), "scheduled_hours": str(_hours(scheduled)),
        "kind": f.kind, "late_minutes": f.late_minutes, "early_leave_minutes": f.early_leave_minutes,
        "break_hours": str(_hours(sum((back - out for out, back in f.breaks), timedelta()))),
        "breaks": [{"start": local(out), "end": local(back), "minutes": int((back - out).total_seconds() // 60)}
                   for out, back in f.breaks],
        "hourly_rate": str(rate),
        "sessions": [
            {"check_in_id": r.pk, "clock_in": iso_utc(r.checked_in_at),
             "clock_out": iso_utc(r.checked_out_at) if r.checked_out_at else None,
             "local_in": local(r.checked_in_at), "local_out": local(r.checked_out_at),
             "auto_closed": r.auto_closed, "method": r.method}
            for r in entry.sessions
        ],
    }
