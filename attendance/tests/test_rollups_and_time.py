"""Monthly rollups stay exact, the rebuild equals the running figures, and days follow local time (DST)."""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from attendance import services
from attendance.models import CheckIn, Correction, Member, MonthlyRollup
from organizations.dates import day_bounds, local_date, month_bounds

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")


def snapshot(org):
    rollups = {
        (r.attendee_id, r.month): (r.visits, r.seconds_present, r.days_present, r.kinds)
        for r in MonthlyRollup.objects.filter(organization=org)
    }
    attendees = {
        m.pk: (m.total_visits, m.visits_this_month, m.first_visit_at, m.last_visit_at, m.session_active, m.session_check_in_id)
        for m in Member.objects.filter(organization=org)
    }
    return rollups, attendees


@time_machine.travel(datetime(2026, 3, 31, 12, 0, tzinfo=UTC), tick=False)
def test_rebuild_equals_the_running_figures(org, owner):
    rng = random.Random(7)
    members = [Member.objects.create(organization=org, first_name=f"M{i}") for i in range(6)]
    start = datetime(2026, 1, 25, 6, 0, tzinfo=UTC)
    for member in members:
        at = start
        for _ in range(rng.randint(5, 15)):
            at += timedelta(hours=rng.randint(3, 60))
            if at > datetime(2026, 3, 31, 10, 0, tzinfo=UTC):
                break
            services.check_in(organization=org, attendee=member, at=at, expected_checkout_at=at + timedelta(hours=2))
            if rng.random() < 0.7:
                services.check_out(organization=org, attendee=member, at=at + timedelta(minutes=rng.randint(20, 200)))
            else:
                services.checkout_expired(organization=org, before=at + timedelta(hours=3))
    # A correction that moves a visit across a month boundary and a deletion.
    row = CheckIn.objects.filter(attendee_id=members[0].pk, checked_out_at__isnull=False).order_by("checked_in_at").first()
    correction = services.correction_submit(
        organization=org, attendee=members[0], kind="wrong_time", reason="clock was wrong", check_in=row,
        proposed_checked_in_at=datetime(2026, 2, 28, 22, 30, tzinfo=UTC), proposed_checked_out_at=datetime(2026, 2, 28, 23, 50, tzinfo=UTC),
    )
    services.correction_approve(correction=correction, actor=owner)
    victim = CheckIn.objects.filter(attendee_id=members[1].pk, checked_out_at__isnull=False).last()
    services.correction_approve(
        correction=services.correction_submit(organization=org, attendee=members[1], kind="delete", reason="test scan", check_in=victim),
        actor=owner,
    )
    assert Correction.objects.filter(status="approved").count() == 2

    running = snapshot(org)
    assert sum(v[0] for v in running[0].values()) == CheckIn.objects.count()
    call_command("recalculate_stats", "--org", org.slug, stdout=open("/dev/null", "w"))
    rebuilt = snapshot(org)
    assert rebuilt == running


def test_days_and_months_follow_the_organization_time_zone_across_dst(org):
    """Europe/Madrid springs forward on 2026-03-29 (a 23-hour day) and falls back on 2026-10-25."""
    tz = org.tz
    start, end = day_bounds(local_date(datetime(2026, 3, 29, 12, tzinfo=UTC), tz), tz)
    assert end - start == timedelta(hours=23)
    start, end = day_bounds(local_date(datetime(2026, 10, 25, 12, tzinfo=UTC), tz), tz)
    assert end - start == timedelta(hours=25)
    member = Member.objects.create(organization=org, first_name="Night", last_name="Owl")
    # 22:30 UTC on 28 March is 23:30 in Madrid (UTC+1 before the change): still 28 March, March.
    services.check_in(organization=org, attendee=member, at=datetime(2026, 3, 28, 22, 30, tzinfo=UTC))
    services.check_out(organization=org, attendee=member, at=datetime(2026, 3, 28, 22, 45, tzinfo=UTC))
    # 23:30 UTC on 31 March is 01:30 on 1 April in Madrid (UTC+2 after the change): April, not March.
    services.check_in(organization=org, attendee=member, at=datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    services.check_out(organization=org, attendee=member, at=datetime(2026, 4, 1, 0, 30, tzinfo=UTC))
    months = {r.month.isoformat(): (r.visits, r.seconds_present, r.days_present) for r in MonthlyRollup.objects.all()}
    assert months == {"2026-04-01": (1, 3600, 1), "2026-03-01": (1, 900, 1)}
    lo, hi = month_bounds(2026, 3, tz)
    assert lo == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    assert hi == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)


def test_two_visits_on_one_local_day_count_one_day_present(org, member):
    base = datetime(2026, 6, 10, 6, 0, tzinfo=UTC)
    for hours in (0, 5):
        services.check_in(organization=org, attendee=member, at=base + timedelta(hours=hours))
        services.check_out(organization=org, attendee=member, at=base + timedelta(hours=hours, minutes=30))
    rollup = MonthlyRollup.objects.get()
    assert (rollup.visits, rollup.days_present, rollup.seconds_present) == (2, 1, 3600)
    assert rollup.kinds == {"visit": 2}


def test_session_record_is_idempotent_and_updates_when_times_change(org, member):
    start = datetime(2026, 5, 4, 15, 0, tzinfo=UTC)
    first = services.session_record(organization=org, attendee=member, checked_in_at=start,
                                    checked_out_at=start + timedelta(minutes=30), source="meetings", external_id="s-1")
    again = services.session_record(organization=org, attendee=member, checked_in_at=start,
                                    checked_out_at=start + timedelta(minutes=30), source="meetings", external_id="s-1")
    assert first.created and not again.created
    assert CheckIn.objects.count() == 1
    services.session_record(organization=org, attendee=member, checked_in_at=start,
                            checked_out_at=start + timedelta(minutes=45), source="meetings", external_id="s-1")
    rollup = MonthlyRollup.objects.get()
    assert (rollup.visits, rollup.seconds_present, rollup.days_present) == (1, 2700, 1)
    member.refresh_from_db()
    assert member.total_visits == 1
    assert member.session_active is False


def test_session_remove_takes_the_session_out_of_the_figures(org, member):
    start = datetime(2026, 5, 4, 15, 0, tzinfo=UTC)
    for n in (1, 2):
        services.session_record(organization=org, attendee=member, checked_in_at=start + timedelta(days=n),
                                checked_out_at=start + timedelta(days=n, minutes=30), source="meetings", external_id=f"s-{n}")
    assert services.session_remove(organization=org, source="meetings", external_id="s-2") is True
    assert services.session_remove(organization=org, source="meetings", external_id="s-2") is False
    rollup = MonthlyRollup.objects.get()
    assert (rollup.visits, rollup.seconds_present, rollup.days_present) == (1, 1800, 1)
    member.refresh_from_db()
    assert member.total_visits == 1
    assert member.last_visit_at == start + timedelta(days=1)
