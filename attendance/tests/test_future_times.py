"""Times in the future: refused beyond the clock-skew allowance, by every way in."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from attendance.models import CheckIn, Correction
from staff.models import Staff

pytestmark = pytest.mark.django_db


def later(seconds):
    return (timezone.now() + timedelta(seconds=seconds)).isoformat()


def refused(response):
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "time_in_future"
    return True


def test_a_check_in_days_ahead_is_refused_and_never_becomes_the_last_visit(owner_client, member):
    assert refused(owner_client.post("/api/v1/check-ins/", {"attendee_id": member.pk, "at": later(2 * 86400)},
                                     format="json"))
    member.refresh_from_db()
    assert member.last_visit_at is None and not CheckIn.objects.exists()
    within = owner_client.post("/api/v1/check-ins/", {"attendee_id": member.pk,
                                                      "at": later(settings.ATTENDANCE_CLOCK_SKEW_SECONDS - 30)},
                               format="json")
    assert within.status_code == 201, within.json()  # a device clock a little ahead is fine


def test_a_check_out_a_correction_and_an_on_behalf_clock_in_the_future_are_refused(
        owner_client, member, org, worker):
    opened = owner_client.post("/api/v1/check-ins/", {"attendee_id": member.pk}, format="json").json()
    assert refused(owner_client.post(f"/api/v1/check-ins/{opened['id']}/check-out/", {"at": later(3600)},
                                     format="json"))
    assert CheckIn.objects.get(pk=opened["id"]).checked_out_at is None
    assert refused(owner_client.post("/api/v1/corrections/", {
        "attendee_id": member.pk, "kind": "missing_check_in", "proposed_checked_in_at": later(3600),
        "proposed_checked_out_at": later(7200), "reason": "typo"}, format="json"))
    assert not Correction.objects.exists()
    staff = Staff.objects.create(organization=org, user=worker, first_name="Wanda")
    assert refused(owner_client.post(f"/api/staff/acme/staff/{staff.pk}/clock-in/",
                                     {"reason": "badge", "at": later(3600)}, format="json"))
    assert not CheckIn.objects.filter(attendee_id=staff.pk, source="staff").exists()
