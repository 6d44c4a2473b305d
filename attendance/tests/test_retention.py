from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from attendance import services
from attendance.models import CheckIn, MonthlyRollup, Refusal

pytestmark = pytest.mark.django_db


def visit(org, member, days_ago):
    at = timezone.now() - timedelta(days=days_ago)
    services.check_in(organization=org, attendee=member, at=at)
    services.check_out(organization=org, attendee=member, at=at + timedelta(hours=1))


def test_purge_deletes_old_check_ins_in_batches_and_keeps_rollups(org, member):
    org.retention_days = 30
    org.save()
    for days_ago in (400, 200, 40, 5):
        visit(org, member, days_ago)
    Refusal.objects.create(organization=org, code="x", attempted_at=timezone.now() - timedelta(days=90))
    rollups_before = sorted(MonthlyRollup.objects.values_list("month", "visits"))
    out = StringIO()
    call_command("purge_retention", stdout=out)
    assert CheckIn.objects.count() == 1
    assert Refusal.objects.count() == 0
    assert sorted(MonthlyRollup.objects.values_list("month", "visits")) == rollups_before
    assert "acme: kept 30 days, deleted 4" in out.getvalue()
    # The rebuild keeps the months whose raw rows were purged.
    services.recalculate_stats(organization=org)
    assert sorted(MonthlyRollup.objects.values_list("month", "visits")) == rollups_before
    member.refresh_from_db()
    assert member.total_visits == 4


def test_retention_zero_keeps_everything_and_open_sessions_are_never_purged(org, member):
    visit(org, member, 3000)
    org.retention_days = 0
    org.save()
    assert services.retention_purge(organization=org) == 0
    assert CheckIn.objects.count() == 1
    org.retention_days = 1
    org.save()
    services.check_in(organization=org, attendee=member, at=timezone.now() - timedelta(days=10))
    services.retention_purge(organization=org, batch_size=1)
    assert list(CheckIn.objects.values_list("checked_out_at", flat=True)) == [None]
