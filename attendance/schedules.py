"""Schedule-aware classification: which shift a session belongs to, and how it went.

Ratios and grace come from the organization's settings["schedule"] (defaults below): worked time
÷ scheduled time ≥ overtime_ratio is overtime, ≥ full_day_ratio a full day, ≥ half_day_ratio a half
day (morning if the session's midpoint falls before morning_cutoff, local time), else short. An
overnight shift belongs to the day it starts; the shift of a day is the one in force that day.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from attendance.models import Kind, WeeklyShift
from organizations.dates import local_date, local_datetime

DEFAULT_POLICY = {
    "full_day_ratio": 0.75,
    "half_day_ratio": 0.4,
    "overtime_ratio": 1.1,
    "morning_cutoff": "13:00",
    "grace_minutes": 10,
}


def policy_for(organization) -> dict:
    return {**DEFAULT_POLICY, **(organization.option("schedule") or {})}


@dataclass(frozen=True)
class ShiftWindow:
    day: date  # the local day the shift starts on
    start: datetime  # UTC
    end: datetime  # UTC

    @property
    def scheduled(self) -> timedelta:
        return self.end - self.start


def window_for(shift: WeeklyShift, day: date, tz) -> ShiftWindow:
    start = local_datetime(day, shift.start_time, tz)
    end_day = day + timedelta(days=1) if shift.is_overnight else day
    return ShiftWindow(day=day, start=start, end=local_datetime(end_day, shift.end_time, tz))


def shift_on(shifts: list[WeeklyShift], day: date) -> WeeklyShift | None:
    """The shift in force on the local `day`: its weekday's shift whose validity covers the day."""
    return next((s for s in shifts if s.weekday == day.weekday() and s.applies_on(day)), None)


def shift_for(shifts: list[WeeklyShift], moment: datetime, tz) -> ShiftWindow | None:
    """Return the shift window a session starting at `moment` belongs to, or None.

    Candidates are the shifts of the previous, same and next local day; the one whose window is
    nearest to `moment` wins (inside a window counts as distance 0).
    """
    if not shifts:
        return None
    today = local_date(moment, tz)
    best, best_distance = None, None
    for offset in (-1, 0, 1):
        day = today + timedelta(days=offset)
        shift = shift_on(shifts, day)
        if shift is None:
            continue
        window = window_for(shift, day, tz)
        if window.start <= moment <= window.end:
            distance = timedelta(0)
        else:
            distance = min(abs(moment - window.start), abs(moment - window.end))
        if best_distance is None or distance < best_distance:
            best, best_distance = window, distance
    # Too far from any shift (e.g. a visit on a day off): not a scheduled session.
    if best is None or best_distance > timedelta(hours=6):
        return None
    return best


def late_minutes(window: ShiftWindow, checked_in_at: datetime, policy: dict) -> int:
    late = checked_in_at - window.start
    if late <= timedelta(minutes=policy["grace_minutes"]):
        return 0
    return int(late.total_seconds() // 60)


def early_leave_minutes(window: ShiftWindow, checked_out_at: datetime, policy: dict) -> int:
    early = window.end - checked_out_at
    if early <= timedelta(minutes=policy["grace_minutes"]):
        return 0
    return int(early.total_seconds() // 60)


def classify(window: ShiftWindow, checked_in_at: datetime, checked_out_at: datetime, policy: dict, tz) -> str:
    worked = checked_out_at - checked_in_at
    ratio = worked / window.scheduled if window.scheduled else 0
    if ratio >= policy["overtime_ratio"]:
        return Kind.OVERTIME
    if ratio >= policy["full_day_ratio"]:
        return Kind.FULL_DAY
    if ratio >= policy["half_day_ratio"]:
        midpoint = (checked_in_at + worked / 2).astimezone(tz)
        cutoff = time.fromisoformat(policy["morning_cutoff"])
        return Kind.HALF_DAY_MORNING if midpoint.time() < cutoff else Kind.HALF_DAY_AFTERNOON
    return Kind.SHORT
