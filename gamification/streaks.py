"""The streak rules as pure functions of local dates (no database, no clock).

Shared by the check-in plugin and the nightly reset so both apply the same exceptions:
a gap of missed days does not break a streak when every missed day was closed, when the gym was
reactivated within the last `REACTIVATION_GRACE_DAYS` days, or when `streak_freeze_until` covers
every missed open day (the freeze is then "used").
"""

from dataclasses import dataclass
from datetime import date, timedelta

REACTIVATION_GRACE_DAYS = 7
MILESTONES = (7, 30, 100)


@dataclass(frozen=True)
class Calendar:
    """What a gym's calendar says about days: weekly closures, closed dates, last reactivation."""

    closed_weekdays: frozenset[int] = frozenset()
    closed_dates: frozenset[date] = frozenset()
    reactivated_on: date | None = None

    def is_closed(self, day: date) -> bool:
        return day.weekday() in self.closed_weekdays or day in self.closed_dates


@dataclass(frozen=True)
class GapVerdict:
    excused: bool
    freeze_used: bool = False


@dataclass(frozen=True)
class StreakState:
    current: int
    longest: int
    last_date: date | None
    freeze_until: date | None


@dataclass(frozen=True)
class StreakUpdate:
    state: StreakState
    changed: bool
    freeze_used: bool


def gap_verdict(*, last_date: date, today: date, calendar: Calendar, freeze_until: date | None) -> GapVerdict:
    """Judge the missed days strictly between `last_date` and `today`.

    Walks back from yesterday to the latest missed open day, so the cost follows the run of closed
    days next to today, not the length of the gap (at most six weekly closures are allowed).
    """
    latest_open_missed = None
    day = today - timedelta(days=1)
    while day > last_date:
        if not calendar.is_closed(day):
            latest_open_missed = day
            break
        day -= timedelta(days=1)
    if latest_open_missed is None:
        return GapVerdict(excused=True)
    if calendar.reactivated_on is not None and 0 <= (today - calendar.reactivated_on).days <= REACTIVATION_GRACE_DAYS:
        return GapVerdict(excused=True)
    if freeze_until is not None and latest_open_missed <= freeze_until:
        return GapVerdict(excused=True, freeze_used=True)
    return GapVerdict(excused=False)


def streak_after_visit(*, state: StreakState, day: date, calendar: Calendar) -> StreakUpdate:
    """Return the streak after a visit on local date `day`."""
    if state.last_date is not None and day <= state.last_date:
        return StreakUpdate(state=state, changed=False, freeze_used=False)  # same day (or a late, older record)
    freeze_used = False
    if state.last_date is None:
        current = 1
    elif day - state.last_date == timedelta(days=1):
        current = state.current + 1
    else:
        verdict = gap_verdict(last_date=state.last_date, today=day, calendar=calendar, freeze_until=state.freeze_until)
        current = state.current + 1 if verdict.excused else 1
        freeze_used = verdict.freeze_used
    new = StreakState(
        current=current, longest=max(state.longest, current), last_date=day, freeze_until=state.freeze_until
    )
    return StreakUpdate(state=new, changed=True, freeze_used=freeze_used)


def streak_broken(*, last_date: date | None, today: date, calendar: Calendar, freeze_until: date | None) -> bool:
    """Whether, at the start of local day `today`, a streak whose last visit was `last_date` is over."""
    if last_date is None or last_date >= today - timedelta(days=1):
        return False
    return not gap_verdict(last_date=last_date, today=today, calendar=calendar, freeze_until=freeze_until).excused
