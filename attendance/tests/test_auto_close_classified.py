"""An auto-closed session with a schedule is classified like any check-out at that time."""

from collections import Counter
from datetime import date, time

import pytest

from attendance import registry, tasks
from attendance.models import CheckIn, Member, MonthlyRollup, WeeklyShift
from organizations.dates import local_datetime

pytestmark = pytest.mark.django_db

MONDAY = date(2025, 11, 17)


def test_the_job_classifies_a_scheduled_session_and_moves_the_rollups_kinds(owner_client, member, org):
    WeeklyShift.objects.create(organization=org, attendee_type=registry.content_type_for(Member), attendee_id=member.pk,
                               weekday=0, start_time=time(9), end_time=time(17))
    opened = owner_client.post("/api/v1/check-ins/", {
        "attendee_id": member.pk, "at": local_datetime(MONDAY, time(9), org.tz).isoformat(),
        "expected_checkout_at": local_datetime(MONDAY, time(13), org.tz).isoformat(),
    }, format="json")
    assert opened.status_code == 201, opened.json()
    tasks.checkout_expired_all.delay()

    row = CheckIn.objects.get(pk=opened.json()["id"])
    assert row.auto_closed and row.checked_out_at == local_datetime(MONDAY, time(13), org.tz)
    assert (row.kind, row.early_leave_minutes) == ("half_day_morning", 240)  # 4 h of 8, left 4 h early
    rollup = MonthlyRollup.objects.get(attendee_id=member.pk)
    from_rows = Counter(CheckIn.objects.filter(attendee_id=member.pk).values_list("kind", flat=True))
    assert rollup.kinds == dict(from_rows)  # one shape: only kinds with visits
    assert rollup.seconds_present == int(row.duration.total_seconds())
