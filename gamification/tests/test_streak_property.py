"""Property-based: the streak service against a small, independent reference.

Random histories over a Europe/Madrid DST change (29 March 2026), with closed weekdays, closed
dates, a reactivation and a freeze. The reference walks every missed day forwards; the service
walks back from yesterday — two different algorithms that must agree.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gamification import services, streaks
from gamification.models import AccessMethod, ClosedDay, GymProfile

TZ = ZoneInfo("Europe/Madrid")
START = datetime(2026, 3, 18, tzinfo=UTC)  # DST starts 2026-03-29 in Madrid
DAYS = 24
FIRST_DAY = date(2026, 3, 18)
METHODS = [AccessMethod.QR, AccessMethod.MANUAL, AccessMethod.BIOMETRIC]


def reference(visits, *, closed_weekdays, closed_dates, reactivated_on, freeze):
    """Plain forward simulation of the issue's rules. Returns (current, longest, last, freeze)."""
    current = longest = 0
    last = None
    for at, method in visits:
        day = at.astimezone(TZ).date()
        if last is not None and day <= last:
            continue
        if last is None:
            current = 1
        else:
            missed = [last + timedelta(days=k) for k in range(1, (day - last).days)]
            open_missed = [d for d in missed if d.weekday() not in closed_weekdays and d not in closed_dates]
            if not open_missed:
                current += 1
            elif reactivated_on is not None and 0 <= (day - reactivated_on).days <= 7:
                current += 1
            elif freeze is not None and all(d <= freeze for d in open_missed):
                current += 1
                if method in (AccessMethod.QR, AccessMethod.MANUAL):
                    freeze = None
            else:
                current = 1
        longest = max(longest, current)
        last = day
    return current, longest, last, freeze


days = st.integers(min_value=0, max_value=DAYS - 1).map(lambda n: FIRST_DAY + timedelta(days=n))


@st.composite
def histories(draw, min_gap_minutes=1):
    minutes = sorted(draw(st.sets(st.integers(min_value=0, max_value=DAYS * 24 * 60 - 1), min_size=1, max_size=14)))
    spaced = []
    for m in minutes:  # keep visits apart so anti-passback (2 h, 4 h biometric) never interferes
        if not spaced or m - spaced[-1] >= min_gap_minutes:
            spaced.append(m)
    methods = draw(st.lists(st.sampled_from(METHODS), min_size=len(spaced), max_size=len(spaced)))
    return {
        "visits": [(START + timedelta(minutes=m), method) for m, method in zip(spaced, methods, strict=True)],
        "closed_weekdays": frozenset(draw(st.sets(st.integers(0, 6), max_size=2))),
        "closed_dates": frozenset(draw(st.sets(days, max_size=6))),
        "reactivated_on": draw(st.none() | days),
        "freeze": draw(st.none() | days),
    }


def fold(history):
    calendar = streaks.Calendar(
        closed_weekdays=history["closed_weekdays"], closed_dates=history["closed_dates"],
        reactivated_on=history["reactivated_on"],
    )
    state = streaks.StreakState(current=0, longest=0, last_date=None, freeze_until=history["freeze"])
    for at, method in history["visits"]:
        update = streaks.streak_after_visit(state=state, day=at.astimezone(TZ).date(), calendar=calendar)
        state = update.state
        if update.freeze_used and method in (AccessMethod.QR, AccessMethod.MANUAL):
            state = streaks.StreakState(state.current, state.longest, state.last_date, None)
    return calendar, state


@settings(max_examples=400, deadline=None)
@given(histories(), st.integers(min_value=1, max_value=12))
def test_streak_core_matches_reference_and_nightly_reset_agrees(history, days_later):
    calendar, state = fold(history)
    expected = reference(history["visits"], **{k: history[k] for k in ("closed_weekdays", "closed_dates", "reactivated_on", "freeze")})
    assert (state.current, state.longest, state.last_date, state.freeze_until) == expected
    # The nightly reset on a later day breaks the streak exactly when a visit that day would restart at 1.
    today = state.last_date + timedelta(days=days_later)
    probe = reference(
        [*history["visits"], (datetime.combine(today, datetime.min.time(), TZ) + timedelta(hours=12), AccessMethod.BIOMETRIC)],
        **{k: history[k] for k in ("closed_weekdays", "closed_dates", "reactivated_on", "freeze")},
    )
    restarts = probe[0] == 1 and days_later > 1
    assert streaks.streak_broken(last_date=state.last_date, today=today, calendar=calendar, freeze_until=state.freeze_until) == restarts


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories(min_gap_minutes=4 * 60))
def test_check_in_service_matches_reference(gym, make_member, history):
    """The same property end to end: every visit through the engine, state read back from the DB."""
    gym.closed_weekdays = sorted(history["closed_weekdays"])
    gym.reactivated_at = (
        datetime.combine(history["reactivated_on"], datetime.min.time(), TZ) + timedelta(hours=12)
        if history["reactivated_on"] else None
    )
    gym.save(update_fields=["closed_weekdays", "reactivated_at"])  # save(): the cached gym is dropped
    ClosedDay.objects.filter(gym=gym).delete()
    ClosedDay.objects.bulk_create([ClosedDay(gym=gym, date=d) for d in history["closed_dates"]])
    member = make_member()
    GymProfile.objects.filter(member=member).update(streak_freeze_until=history["freeze"])
    gym.refresh_from_db()
    for at, method in history["visits"]:
        services.gym_check_in(organization=gym.organization, member=member, access_method=method, at=at)
    profile = GymProfile.objects.get(member=member)
    expected = reference(history["visits"], **{k: history[k] for k in ("closed_weekdays", "closed_dates", "reactivated_on", "freeze")})
    assert (profile.current_streak, profile.longest_streak, profile.last_checkin_date, profile.streak_freeze_until) == expected


def test_dst_days_are_local_days():
    """Consecutive UTC dates can be two Madrid days apart across the spring-forward night."""
    calendar = streaks.Calendar()
    state = streaks.StreakState(current=0, longest=0, last_date=None, freeze_until=None)
    for at in (datetime(2026, 3, 28, 22, 30, tzinfo=UTC), datetime(2026, 3, 29, 22, 30, tzinfo=UTC)):
        state = streaks.streak_after_visit(state=state, day=at.astimezone(TZ).date(), calendar=calendar).state
    # 28 Mar 23:30 CET and 30 Mar 00:30 CEST: UTC dates 28 and 29, local dates 28 and 30 -> a gap
    assert state.last_date == date(2026, 3, 30)
    assert state.current == 1
