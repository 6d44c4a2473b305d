"""Check-in, check-out and toggle through HTTP, with the fixed cast and bad input."""

from datetime import timedelta

import pytest
from django.utils import timezone

from attendance.models import CheckIn, Member, MemberStatus, Refusal
from tests.fixtures import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/check-ins/"


def post(client, url, data=None, **headers):
    return client.post(url, data or {}, format="json", headers=headers)


def test_check_in_creates_an_open_session_and_updates_the_attendee(owner_client, member):
    response = post(owner_client, URL, {"attendee_id": member.pk, "method": "qr_code", "location": "Door A"})
    assert response.status_code == 201
    body = response.json()
    assert body["is_open"] is True
    assert body["method"] == "qr_code"
    assert body["location"] == "Door A"
    member.refresh_from_db()
    assert member.session_active is True
    assert member.session_check_in_id == body["id"]
    assert member.total_visits == 1
    assert member.visits_this_month == 1


def test_member_list_shows_each_open_session_in_one_statement(owner_client, member, org, django_assert_max_num_queries):
    expected = timezone.now() + timedelta(hours=2)
    opened = post(owner_client, URL, {"attendee_id": member.pk, "expected_checkout_at": expected.isoformat()}).json()
    for i in range(5):
        Member.objects.create(organization=org, first_name=f"Away {i}")

    def listed():
        return {m["id"]: m for m in owner_client.get("/api/v1/members/").json()["results"]}

    with django_assert_max_num_queries(12) as few:
        one = listed()
    assert one[member.pk]["session_active"] is True and one[member.pk]["session_check_in_id"] == opened["id"]
    assert one[member.pk]["session_expected_checkout_at"] == opened["expected_checkout_at"]
    away = [m for pk, m in one.items() if pk != member.pk]
    assert len(away) == 5 and all(
        (m["session_active"], m["session_check_in_id"], m["session_expected_checkout_at"]) == (False, None, None)
        for m in away
    )
    for i in range(5):
        Member.objects.create(organization=org, first_name=f"More {i}")
    with django_assert_max_num_queries(len(few)):  # five more members, not one more statement
        assert len(listed()) == 11
    assert post(owner_client, "/api/v1/check-outs/", {"qr_token": member.qr_token}).status_code == 200
    assert listed()[member.pk]["session_active"] is False


def test_check_in_by_qr_token_and_rfid(owner_client, member):
    member.rfid_tag = "TAG-1"
    member.save()
    by_qr = post(owner_client, URL, {"qr_token": member.qr_token})
    assert by_qr.status_code == 201
    assert by_qr.json()["attendee_id"] == member.pk
    post(owner_client, "/api/v1/check-outs/", {"qr_token": member.qr_token})
    CheckIn.objects.update(checked_in_at=timezone.now() - timedelta(hours=1))
    Member.objects.filter(pk=member.pk).update(last_visit_at=timezone.now() - timedelta(hours=1))
    by_rfid = post(owner_client, URL, {"rfid_tag": "TAG-1"})
    assert by_rfid.status_code == 201, by_rfid.json()


def test_idempotency_key_records_once_and_answers_the_same(owner_client, member):
    first = post(owner_client, URL, {"attendee_id": member.pk}, **{"Idempotency-Key": "abc-1"})
    second = post(owner_client, URL, {"attendee_id": member.pk}, **{"Idempotency-Key": "abc-1"})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert CheckIn.objects.count() == 1
    assert Refusal.objects.count() == 0


def test_already_checked_in_is_refused_and_recorded(owner_client, member, settings):
    settings.ATTENDANCE_DUPLICATE_SCAN_SECONDS = 0
    first = post(owner_client, URL, {"attendee_id": member.pk})
    second = post(owner_client, URL, {"attendee_id": member.pk})
    assert second.status_code == 409
    assert second.json()["code"] == "already_checked_in"
    assert second.json()["check_in_id"] == first.json()["id"]
    assert "already checked in" in second.json()["detail"]
    refusal = Refusal.objects.get()
    assert refusal.code == "already_checked_in"
    assert refusal.attendee_id == member.pk
    listed = owner_client.get("/api/v1/refusals/").json()
    assert [r["code"] for r in listed["results"]] == ["already_checked_in"]


def test_same_scan_twice_is_a_duplicate_scan(owner_client, member):
    post(owner_client, URL, {"attendee_id": member.pk})
    again = post(owner_client, URL, {"attendee_id": member.pk})
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_scan"
    assert "retry_after" in again.json()


def test_organization_may_close_the_old_session_and_open_a_new_one(owner_client, member, org):
    org.settings = {"on_open_session": "close_and_reopen", "duplicate_scan_seconds": 0}
    org.save()
    first = post(owner_client, URL, {"attendee_id": member.pk}).json()
    second = post(owner_client, URL, {"attendee_id": member.pk})
    assert second.status_code == 201
    old = CheckIn.objects.get(pk=first["id"])
    assert old.checked_out_at is not None
    assert CheckIn.objects.filter(checked_out_at__isnull=True).count() == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [({"attendance_enabled": False}, "attendance_disabled"), ({"status": MemberStatus.SUSPENDED}, "attendee_inactive")],
)
def test_disabled_or_inactive_attendees_are_refused(owner_client, member, change, code):
    Member.objects.filter(pk=member.pk).update(**change)
    response = post(owner_client, URL, {"attendee_id": member.pk})
    assert response.status_code == 409
    assert response.json()["code"] == code
    assert CheckIn.objects.count() == 0
    assert Refusal.objects.get().code == code


def test_check_out_by_attendee_and_by_id(owner_client, member):
    opened = post(owner_client, URL, {"attendee_id": member.pk}).json()
    closed = post(owner_client, "/api/v1/check-outs/", {"attendee_id": member.pk})
    assert closed.status_code == 200
    assert closed.json()["id"] == opened["id"]
    assert closed.json()["duration_seconds"] >= 0
    again = post(owner_client, f"{URL}{opened['id']}/check-out/")
    assert again.status_code == 409
    assert again.json()["code"] == "already_checked_out"
    nothing_open = post(owner_client, "/api/v1/check-outs/", {"attendee_id": member.pk})
    assert nothing_open.json()["code"] == "not_checked_in"
    member.refresh_from_db()
    assert member.session_active is False


def test_check_out_before_check_in_is_rejected_and_nothing_changes(owner_client, member):
    opened = post(owner_client, URL, {"attendee_id": member.pk}).json()
    early = (timezone.now() - timedelta(hours=2)).isoformat()
    response = post(owner_client, f"{URL}{opened['id']}/check-out/", {"at": early})
    assert response.status_code == 400
    assert response.json()["code"] == "checkout_before_checkin"
    assert CheckIn.objects.get().checked_out_at is None


def test_toggle_flips_between_in_and_out(owner_client, member):
    first = post(owner_client, "/api/v1/toggle/", {"attendee_id": member.pk})
    assert first.json()["action"] == "check_in"
    second = post(owner_client, "/api/v1/toggle/", {"attendee_id": member.pk})
    assert second.json()["action"] == "check_out"
    assert second.json()["check_in"]["id"] == first.json()["check_in"]["id"]
    assert second.json()["check_in"]["is_open"] is False


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "invalid"),
        ({"attendee_id": "x"}, "invalid"),
        ({"attendee_id": 1, "method": "telepathy"}, "invalid_method"),
        ({"attendee_type": "unicorn", "attendee_id": 1}, "unknown_attendee_type"),
        ({"attendee_id": 1, "at": "yesterday"}, "invalid"),
    ],
)
def test_bad_input_gets_a_clear_4xx_with_a_code(owner_client, body, code):
    response = post(owner_client, URL, body)
    assert 400 <= response.status_code < 500
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert CheckIn.objects.count() == 0


def test_malformed_json_gets_a_code(owner_client):
    response = owner_client.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"


def test_another_organizations_attendee_and_check_in_answer_404(owner_client, outsider_client, member, other_member):
    assert post(owner_client, URL, {"attendee_id": other_member.pk}).status_code == 404
    opened = post(owner_client, URL, {"attendee_id": member.pk}).json()
    assert outsider_client.get(f"{URL}{opened['id']}/").status_code == 404
    assert post(outsider_client, f"{URL}{opened['id']}/check-out/").status_code == 404
    assert outsider_client.get(f"/api/v1/members/{member.pk}/").status_code == 404
    assert outsider_client.get(URL).json()["count"] == 0
    assert outsider_client.get(URL, headers={"X-Organization": "acme"}).status_code == 404


def test_roles_colleague_may_check_in_plain_member_may_not(colleague_client, plain_member, member):
    assert post(colleague_client, URL, {"attendee_id": member.pk}).status_code == 201
    forbidden = post(client_for(plain_member), URL, {"attendee_id": member.pk})
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "permission_denied"


def test_unauthenticated_gets_401_with_a_code(member):
    from rest_framework.test import APIClient

    response = APIClient().post(URL, {"attendee_id": member.pk}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_kiosk_device_key_checks_in_and_its_use_is_recorded(kiosk, member):
    response = post(kiosk, URL, {"attendee_id": member.pk, "method": "kiosk"})
    assert response.status_code == 201
    assert response.json()["device"] == kiosk.device.pk
    kiosk.device.refresh_from_db()
    assert kiosk.device.last_used_at is not None


def test_revoked_device_key_is_refused(kiosk, member):
    from organizations.services import device_key_revoke

    device_key_revoke(device=kiosk.device)
    response = post(kiosk, URL, {"attendee_id": member.pk})
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_list_filters(owner_client, member, org):
    other = Member.objects.create(organization=org, first_name="Bob")
    post(owner_client, URL, {"attendee_id": member.pk, "method": "qr_code"})
    post(owner_client, URL, {"attendee_id": other.pk, "method": "rfid"})
    post(owner_client, "/api/v1/check-outs/", {"attendee_id": other.pk})
    assert owner_client.get(URL, {"method": "rfid"}).json()["count"] == 1
    assert owner_client.get(URL, {"attendee_id": member.pk}).json()["count"] == 1
    assert owner_client.get(URL, {"open": "true"}).json()["results"][0]["attendee_id"] == member.pk
    assert owner_client.get(URL, {"attendee_type": "member"}).json()["count"] == 2
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    assert owner_client.get(URL, {"since": future}).json()["count"] == 0
    assert owner_client.get(URL, {"until": future}).json()["count"] == 2


def test_check_in_body_equals_drfs_generic_output_of_the_declared_fields(kiosk, member, org):
    """CheckInSerializer builds its dict by hand for speed; it must say exactly what DRF would."""
    from rest_framework import serializers

    from attendance.api.serializers import CheckInSerializer

    at = timezone.now().replace(microsecond=123456) - timedelta(hours=3)
    opened = post(kiosk, URL, {
        "attendee_id": member.pk, "method": "qr_code", "at": at.isoformat(), "location": "Door A",
        "expected_checkout_at": (at + timedelta(hours=1)).isoformat(), "metadata": {"lane": [1, 2]},
    })
    assert opened.status_code == 201, opened.json()
    closed = post(kiosk, "/api/v1/check-outs/", {"attendee_id": member.pk})
    assert closed.status_code == 200, closed.json()
    CheckIn.objects.filter(pk=opened.json()["id"]).update(late_minutes=7, external_id="ext-1")
    open_again = post(kiosk, URL, {"attendee_id": member.pk, "notes": "second"})
    assert open_again.status_code == 201, open_again.json()

    rows = list(CheckIn.objects.filter(organization=org).order_by("id"))
    assert len(rows) == 2 and rows[0].checked_out_at is not None and rows[1].checked_out_at is None
    for row in rows:
        mine = CheckInSerializer(row).data
        generic = serializers.Serializer.to_representation(CheckInSerializer(row), row)
        assert list(mine) == list(CheckInSerializer().fields) == list(generic)
        assert dict(mine) == dict(generic)
    first = CheckInSerializer(rows[0]).data
    assert first["checked_in_at"].endswith("Z") and first["device"] == kiosk.device.pk
    assert first["duration_seconds"] > 0 and first["late_minutes"] == 7 and first["metadata"] == {"lane": [1, 2]}
