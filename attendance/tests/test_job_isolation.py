"""Jobs over every organization: one organization's bad row never stops the others."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from attendance import registry, tasks
from attendance.models import CheckIn, Member

pytestmark = pytest.mark.django_db


def test_an_expected_check_out_before_the_check_in_is_refused_naming_the_field(owner_client, member):
    at = timezone.now() - timedelta(hours=2)
    response = owner_client.post("/api/v1/check-ins/", {
        "attendee_id": member.pk, "at": at.isoformat(), "expected_checkout_at": (at - timedelta(minutes=1)).isoformat(),
    }, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "expected_checkout_at" in body["errors"]
    assert "expected_checkout_at" in body["detail"]
    assert CheckIn.objects.count() == 0
    fine = owner_client.post("/api/v1/check-ins/", {
        "attendee_id": member.pk, "at": at.isoformat(), "expected_checkout_at": (at + timedelta(hours=1)).isoformat(),
    }, format="json")
    assert fine.status_code == 201, fine.json()


def _open_session(organization, member, *, opened, expected):
    """An open session as a row, the way a bad write of the past left it (the API now refuses it)."""
    row = CheckIn.objects.create(organization=organization, attendee_type=registry.content_type_for(Member),
                                 attendee_id=member.pk, checked_in_at=opened, expected_checkout_at=expected)
    return row


def test_one_organizations_bad_row_never_stops_the_auto_check_out_of_the_others(org, other_org, caplog):
    now = timezone.now()
    bad = _open_session(org, Member.objects.create(organization=org, first_name="Bad"),
                        opened=now - timedelta(hours=2), expected=now - timedelta(hours=3))
    good = _open_session(other_org, Member.objects.create(organization=other_org, first_name="Good"),
                         opened=now - timedelta(hours=2), expected=now - timedelta(hours=1))
    assert org.pk < other_org.pk  # the failing organization runs first

    with caplog.at_level(logging.ERROR, logger="config.jobs"):
        assert tasks.checkout_expired_all.delay().get() == 1  # the second organization's run was queued

    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.auto_closed and good.checked_out_at == good.expected_checkout_at
    assert bad.checked_out_at is None
    failures = [r for r in caplog.records if r.name == "config.jobs"]
    failed = failures[0]
    # logged with the task, the organization and the broken rule (on PostgreSQL also the failing row)
    assert failed.getMessage().startswith("attendance.tasks.checkout_expired failed for organization acme")
    assert "checkout_after_checkin" in failed.getMessage()
    # a bad row is no transient error: no retry storm; the next scheduled run tries this organization again


def test_a_missing_organization_is_nothing_to_do():
    assert tasks.checkout_expired.delay(999_999).get() == 0
    assert tasks.retention_purge.delay(999_999).get() == 0
    assert tasks.at_risk_notify.delay(999_999).get() == 0
