"""Corrections: submitted by a person, approved or rejected by an admin, applied through the engine, audited."""

from datetime import timedelta

import pytest
from django.utils import timezone

from attendance.models import CheckIn, Correction
from organizations.models import AuditLog

pytestmark = pytest.mark.django_db


def submit(client, **body):
    return client.post("/api/v1/corrections/", body, format="json")


def test_missing_check_out_is_applied_on_approval_with_an_audit_trail(owner_client, colleague_client, member, owner):
    opened = colleague_client.post("/api/v1/check-ins/", {
        "attendee_id": member.pk, "at": (timezone.now() - timedelta(hours=2)).isoformat()}, format="json").json()
    out_at = (timezone.now() - timedelta(hours=1)).replace(microsecond=0)  # times in the future are refused
    submitted = submit(colleague_client, attendee_id=member.pk, kind="missing_check_out", check_in_id=opened["id"],
                       proposed_checked_out_at=out_at.isoformat(), reason="forgot to scan out")
    assert submitted.status_code == 201, submitted.json()
    assert submitted.json()["status"] == "pending"
    assert CheckIn.objects.get().checked_out_at is None  # nothing happens before approval

    denied = colleague_client.post(f"/api/v1/corrections/{submitted.json()['id']}/approve/", {}, format="json")
    assert denied.status_code == 403

    approved = owner_client.post(f"/api/v1/corrections/{submitted.json()['id']}/approve/", {"note": "ok"}, format="json")
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    row = CheckIn.objects.get()
    assert row.checked_out_at == out_at
    member.refresh_from_db()
    assert member.session_active is False
    audit = AuditLog.objects.get(action="correction.approved")
    assert audit.actor == owner
    assert audit.reason == "forgot to scan out"
    assert audit.data["before"]["checked_out_at"] is None
    assert audit.data["after"]["checked_out_at"] == out_at.isoformat()

    twice = owner_client.post(f"/api/v1/corrections/{submitted.json()['id']}/approve/", {}, format="json")
    assert twice.status_code == 400
    assert twice.json()["code"] == "correction_decided"


def test_missing_check_in_creates_a_closed_visit(owner_client, member):
    start = (timezone.now() - timedelta(days=1)).replace(microsecond=0)
    correction = submit(owner_client, attendee_id=member.pk, kind="missing_check_in", reason="door scanner down",
                        proposed_checked_in_at=start.isoformat(),
                        proposed_checked_out_at=(start + timedelta(hours=2)).isoformat()).json()
    owner_client.post(f"/api/v1/corrections/{correction['id']}/approve/", {}, format="json")
    row = CheckIn.objects.get()
    assert (row.checked_in_at, row.duration) == (start, timedelta(hours=2))
    member.refresh_from_db()
    assert member.total_visits == 1
    assert Correction.objects.get().check_in_id == row.pk


def test_delete_and_reject(owner_client, member):
    opened = owner_client.post("/api/v1/check-ins/", {"attendee_id": member.pk}, format="json").json()
    rejected = submit(owner_client, attendee_id=member.pk, kind="delete", check_in_id=opened["id"], reason="oops").json()
    response = owner_client.post(f"/api/v1/corrections/{rejected['id']}/reject/", {"note": "it was real"}, format="json")
    assert response.json()["status"] == "rejected"
    assert CheckIn.objects.count() == 1
    assert AuditLog.objects.filter(action="correction.rejected").count() == 1

    deletion = submit(owner_client, attendee_id=member.pk, kind="delete", check_in_id=opened["id"], reason="test scan").json()
    owner_client.post(f"/api/v1/corrections/{deletion['id']}/approve/", {}, format="json")
    assert CheckIn.objects.count() == 0
    member.refresh_from_db()
    assert (member.total_visits, member.session_active) == (0, False)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"kind": "delete", "reason": "x"}, "check_in_required"),
        ({"kind": "missing_check_in", "reason": "x"}, "time_required"),
        ({"kind": "wrong_time", "reason": "x", "check_in_id": 0}, "invalid"),
        ({"kind": "teleport", "reason": "x"}, "invalid"),
    ],
)
def test_incomplete_corrections_are_rejected_with_a_code(owner_client, member, body, code):
    response = submit(owner_client, attendee_id=member.pk, **body)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert Correction.objects.count() == 0


def test_outsider_cannot_see_or_decide_corrections(owner_client, outsider_client, member):
    start = timezone.now() - timedelta(days=1)
    correction = submit(owner_client, attendee_id=member.pk, kind="missing_check_in", reason="x",
                        proposed_checked_in_at=start.isoformat()).json()
    assert outsider_client.get(f"/api/v1/corrections/{correction['id']}/").status_code == 404
    assert outsider_client.post(f"/api/v1/corrections/{correction['id']}/approve/", {}, format="json").status_code == 404
    assert Correction.objects.get().status == "pending"
