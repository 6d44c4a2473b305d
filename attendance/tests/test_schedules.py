"""Schedule-aware classification on check-out: full day, half days, overtime, short; late and early."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType

from attendance import services
from attendance.models import Member, WeeklyShift

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")


def local(y, m, d, hh, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=MADRID)


@pytest.fixture
def scheduled(org, member):
    ct = ContentType.objects.get_for_model(Member)
    # Monday 2026-06-01: 09:00-17:00 (8 h). Friday: 22:00-06:00 overnight.
    WeeklyShift.objects.create(organization=org, attendee_type=ct, attendee_id=member.pk, weekday=0,
                               start_time=time(9), end_time=time(17))
    WeeklyShift.objects.create(organization=org, attendee_type=ct, attendee_id=member.pk, weekday=4,
                               start_time=time(22), end_time=time(6))
    return member


def session(org, member, start, end):
    row = services.check_in(organization=org, attendee=member, at=start).check_in
    return row, services.check_out(organization=org, attendee=member, at=end)


@pytest.mark.parametrize(
    ("start", "end", "kind"),
    [
        (local(2026, 6, 1, 9), local(2026, 6, 1, 17), "full_day"),
        (local(2026, 6, 1, 9), local(2026, 6, 1, 15), "full_day"),  # 6 h = 0.75
        (local(2026, 6, 1, 9), local(2026, 6, 1, 13), "half_day_morning"),  # 4 h, midpoint 11:00
        (local(2026, 6, 1, 13), local(2026, 6, 1, 17), "half_day_afternoon"),  # midpoint 15:00
        (local(2026, 6, 1, 8), local(2026, 6, 1, 18), "overtime"),  # 10 h = 1.25
        (local(2026, 6, 1, 9), local(2026, 6, 1, 11), "short"),  # 2 h = 0.25
    ],
)
def test_classification(org, scheduled, start, end, kind):
    _, row = session(org, scheduled, start, end)
    assert row.kind == kind


def test_late_arrival_and_early_leave_respect_the_grace_period(org, scheduled):
    row, closed = session(org, scheduled, local(2026, 6, 1, 9, 8), local(2026, 6, 1, 16, 55))
    assert row.late_minutes == 0 and closed.early_leave_minutes == 0  # within 10 minutes' grace
    services.check_in(organization=org, attendee=scheduled, at=local(2026, 6, 8, 9, 25))
    closed = services.check_out(organization=org, attendee=scheduled, at=local(2026, 6, 8, 16, 30))
    assert closed.late_minutes == 25
    assert closed.early_leave_minutes == 30


def test_expected_check_out_defaults_to_the_shift_end(org, scheduled):
    row = services.check_in(organization=org, attendee=scheduled, at=local(2026, 6, 1, 9)).check_in
    assert row.expected_checkout_at == local(2026, 6, 1, 17)


def test_overnight_shift_belongs_to_the_day_it_starts(org, scheduled):
    row = services.check_in(organization=org, attendee=scheduled, at=local(2026, 6, 5, 22, 15)).check_in
    assert row.expected_checkout_at == local(2026, 6, 6, 6)
    assert row.late_minutes == 15
    closed = services.check_out(organization=org, attendee=scheduled, at=local(2026, 6, 6, 6))
    assert closed.kind == "full_day"


def test_ratios_are_configurable_per_organization(org, scheduled):
    org.settings = {"schedule": {"full_day_ratio": 0.9, "half_day_ratio": 0.5, "grace_minutes": 0}}
    org.save()
    _, row = session(org, scheduled, local(2026, 6, 1, 9), local(2026, 6, 1, 15, 30))  # 6.5 h = 0.81
    assert row.kind == "half_day_morning"  # midpoint 12:15, before the 13:00 cut-off


def test_unscheduled_visit_stays_a_visit(org, member):
    _, row = session(org, member, local(2026, 6, 1, 9), local(2026, 6, 1, 17))
    assert row.kind == "visit"
    assert row.late_minutes == 0
