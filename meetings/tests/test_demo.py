"""The demo academy seeds without Google and is idempotent."""

import pytest

from attendance.models import CheckIn
from meetings import demo, selectors
from meetings.links import home_links
from meetings.models import AttendanceLog, ClassAttendance, ScheduledClass
from organizations.models import Organization


@pytest.mark.django_db
def test_demo_seeds_once_with_billable_attendance():
    messages = []
    summary = demo.seed(messages.append)
    assert "bright-academy" in summary
    org = Organization.objects.get(slug="bright-academy")
    assert org.time_zone == "America/New_York"
    counts = (ScheduledClass.objects.count(), AttendanceLog.objects.count(), ClassAttendance.objects.count(),
              CheckIn.objects.filter(source="meetings").count())
    assert all(counts)
    assert AttendanceLog.objects.filter(teacher__isnull=True, student__isnull=True).exists()  # "others" to link
    demo.seed(messages.append)
    assert (ScheduledClass.objects.count(), AttendanceLog.objects.count(), ClassAttendance.objects.count(),
            CheckIn.objects.filter(source="meetings").count()) == counts

    first_class = ScheduledClass.objects.order_by("starts_at").first()
    local = first_class.starts_at.astimezone(org.tz)
    report = selectors.teacher_payroll(organization=org, year=local.year, month=local.month)
    assert report["total_seconds"] > 0 and report["total_amount_cents"] > 0
    titles = [link["title"] for link in home_links(org, "owner")]
    assert "Google Meet sync status" in titles and "Family billing (this month)" in titles
    assert [link["title"] for link in home_links(org, "receptionist")] == ["Google Meet sync status"]
    assert home_links(org, "member") == []

    org.delete()  # families and teachers are RESTRICTed, yet the whole organization cascades
    assert not ScheduledClass.objects.exists()
