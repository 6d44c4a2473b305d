"""The issue's update table, row by row, through the service and the HTTP API."""

from datetime import date, datetime, timedelta

import pytest
import time_machine

from attendance.exceptions import Refused
from attendance.models import CheckIn, Refusal
from gamification import services
from gamification.models import AccessMethod, GymProfile
from gamification.tests.conftest import madrid

T0 = madrid(2026, 3, 10, 9, 0)


def profile(member) -> GymProfile:
    return GymProfile.objects.get(member=member)


def enter(org, member, method, at, **kw):
    return services.gym_check_in(organization=org, member=member, access_method=method, at=at, **kw)


def seed_state(member, **fields):
    GymProfile.objects.filter(member=member).update(**fields)


@pytest.mark.django_db
@pytest.mark.parametrize("method", [AccessMethod.QR, AccessMethod.MANUAL])
def test_member_qr_or_manual_updates_everything_and_clears_a_used_freeze(org, gym_member, method):
    seed_state(gym_member, last_checkin_date=date(2026, 3, 7), current_streak=4, longest_streak=4,
               streak_freeze_until=date(2026, 3, 9), last_visit_at=madrid(2026, 3, 7, 9))
    entry = enter(org, gym_member, method, T0)
    p = profile(gym_member)
    assert entry.check_in.metadata == {"access_method": method, "access_type": "member"}
    assert CheckIn.objects.filter(source="gym").count() == 1
    assert p.last_visit_at == T0
    assert p.last_checkin_date == date(2026, 3, 10)
    assert (p.current_streak, p.longest_streak) == (5, 5)  # the freeze bridged 8 and 9 March
    assert p.streak_freeze_until is None


@pytest.mark.django_db
def test_member_biometric_updates_streak_but_leaves_the_freeze(org, gym_member):
    seed_state(gym_member, last_checkin_date=date(2026, 3, 7), current_streak=4, longest_streak=9,
               streak_freeze_until=date(2026, 3, 9))
    enter(org, gym_member, AccessMethod.BIOMETRIC, T0)
    p = profile(gym_member)
    assert p.last_visit_at == T0
    assert p.last_checkin_date == date(2026, 3, 10)
    assert (p.current_streak, p.longest_streak) == (5, 9)
    assert p.streak_freeze_until == date(2026, 3, 9)


@pytest.mark.django_db
def test_staff_updates_last_visit_only(org, staff_member):
    entry = enter(org, staff_member, AccessMethod.QR, T0)
    p = profile(staff_member)
    assert entry.check_in.metadata["access_type"] == "staff"
    assert p.last_visit_at == T0
    assert p.last_checkin_date is None
    assert p.current_streak == 0


@pytest.mark.django_db
def test_courtesy_creates_the_visit_only(org, owner, gym_member):
    seed_state(gym_member, last_checkin_date=date(2026, 3, 7), current_streak=4, streak_freeze_until=date(2026, 3, 9))
    entry = services.courtesy_grant(organization=org, member=gym_member, reason="Trial day", actor=owner, role="owner", at=T0)
    p = profile(gym_member)
    assert entry.check_in.kind == "courtesy"
    assert entry.check_in.metadata == {"access_method": "courtesy", "access_type": "courtesy"}
    assert p.last_visit_at is None
    assert (p.last_checkin_date, p.current_streak, p.streak_freeze_until) == (date(2026, 3, 7), 4, date(2026, 3, 9))


@pytest.mark.django_db
def test_gamification_off_keeps_streak_fields(org, gym_member):
    services.gym_configure(organization=org, gamification_enabled=False)
    seed_state(gym_member, last_checkin_date=date(2026, 3, 9), current_streak=4)
    enter(org, gym_member, AccessMethod.QR, T0)
    p = profile(gym_member)
    assert p.last_visit_at == T0
    assert (p.last_checkin_date, p.current_streak) == (date(2026, 3, 9), 4)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "expires_at", "code"),
    [
        ("inactive", madrid(2030, 1, 1), "subscription_inactive"),
        ("paused", madrid(2030, 1, 1), "subscription_inactive"),
        ("active", madrid(2026, 3, 10, 23, 0), "subscription_expired"),  # expires today: not after today
        ("active", madrid(2026, 3, 1), "subscription_expired"),
        ("active", None, "subscription_expired"),
    ],
)
def test_subscription_rules_refuse_and_record(org, make_member, status, expires_at, code):
    member = make_member(status=status, expires_at=expires_at)
    with pytest.raises(Refused) as refused:
        enter(org, member, AccessMethod.QR, T0)
    assert refused.value.code == code
    assert refused.value.extra["member"]["id"] == member.pk
    refusal = Refusal.objects.get()
    assert (refusal.code, refusal.source, refusal.method, refusal.attendee_id) == (code, "gym", "qr_code", member.pk)
    assert not CheckIn.objects.exists()
    assert profile(member).last_visit_at is None


@pytest.mark.django_db
def test_subscription_expiring_tomorrow_lets_in(org, make_member):
    member = make_member(expires_at=madrid(2026, 3, 11, 0, 30))
    assert enter(org, member, AccessMethod.QR, T0).created


@pytest.mark.django_db
def test_staff_need_no_subscription(org, staff_member):
    assert enter(org, staff_member, AccessMethod.MANUAL, T0).created


@pytest.mark.django_db
def test_anti_passback_two_hours_then_several_visits_a_day(org, gym_member):
    enter(org, gym_member, AccessMethod.QR, T0)
    with pytest.raises(Refused) as refused:
        enter(org, gym_member, AccessMethod.QR, T0 + timedelta(hours=1, minutes=59))
    assert refused.value.code == "anti_passback"
    assert datetime.fromisoformat(refused.value.extra["next_allowed_at"]) == T0 + timedelta(hours=2)
    second = enter(org, gym_member, AccessMethod.MANUAL, T0 + timedelta(hours=2))
    assert second.created
    p = profile(gym_member)
    assert p.current_streak == 1  # same local day: unchanged
    assert CheckIn.objects.filter(source="gym").count() == 2
    assert CheckIn.objects.filter(source="gym", checked_out_at__isnull=True).count() == 1
    assert Refusal.objects.get().code == "anti_passback"


@pytest.mark.django_db
def test_biometric_anti_passback_is_four_hours(org, gym_member):
    enter(org, gym_member, AccessMethod.QR, T0)
    with pytest.raises(Refused) as refused:
        enter(org, gym_member, AccessMethod.BIOMETRIC, T0 + timedelta(hours=3))
    assert refused.value.code == "anti_passback"
    assert datetime.fromisoformat(refused.value.extra["next_allowed_at"]) == T0 + timedelta(hours=4)
    assert enter(org, gym_member, AccessMethod.BIOMETRIC, T0 + timedelta(hours=4)).created


@pytest.mark.django_db
def test_courtesy_is_not_subject_to_subscription_or_anti_passback(org, owner, make_member):
    member = make_member(status="inactive")
    services.courtesy_grant(organization=org, member=member, reason="Friend of a member", actor=owner, role="owner", at=T0)
    again = services.courtesy_grant(
        organization=org, member=member, reason="Came back", actor=owner, role="owner", at=T0 + timedelta(minutes=5)
    )
    assert again.created


@pytest.mark.django_db
def test_streak_milestone_is_an_engine_event(org, gym_member, django_capture_on_commit_callbacks):
    from attendance import events

    fired = []

    def receiver(sender, attendee, kind, value, **kw):
        fired.append((attendee.pk, kind, value))

    events.milestone.connect(receiver)
    try:
        seed_state(gym_member, last_checkin_date=date(2026, 3, 9), current_streak=6, longest_streak=6)
        with django_capture_on_commit_callbacks(execute=True):
            enter(org, gym_member, AccessMethod.QR, T0)
    finally:
        events.milestone.disconnect(receiver)
    assert (gym_member.pk, "streak", 7) in fired


@pytest.mark.django_db
def test_queries_per_check_in_do_not_grow_with_history(org, gym_member, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(at):
        with CaptureQueriesContext(connection) as ctx:
            enter(org, gym_member, AccessMethod.QR, at)
        return len(ctx.captured_queries)

    first = count(T0)
    counts = [count(T0 + timedelta(days=d)) for d in range(1, 40)]
    # Long gap, closed-day lookup included
    long_gap = count(T0 + timedelta(days=200))
    # Same kind of entry (previous visit still open, same month) costs the same after 1 or 38 days.
    assert counts[0] == counts[-1] <= 18
    assert first <= 18 and max(counts) <= 21  # a new month adds the rollup row
    assert long_gap <= 22  # the gap's closed days: one more bounded query


@pytest.mark.django_db
def test_time_machine_now_is_used_when_no_time_given(org, gym_member):
    with time_machine.travel(T0, tick=False):
        entry = services.gym_check_in(organization=org, member=gym_member, access_method=AccessMethod.QR)
    assert entry.check_in.checked_in_at == T0
