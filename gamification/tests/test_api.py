"""The gym API through HTTP: channels, roles, audit, refusals, QR images and rotation, biometrics."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model

from attendance.models import CheckIn, Refusal
from gamification.models import GymProfile, SubscriptionStatus, footprint_hash
from gamification.tests.conftest import madrid
from organizations.models import AuditLog, Membership, Role
from organizations.services import device_key_create
from tests.fixtures import client_for, make_user

T0 = madrid(2026, 3, 10, 9, 0)
pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(colleague, gym):
    return client_for(colleague)


def qr(member):
    member.refresh_from_db()
    return f"GYM_QR_{member.qr_token}"


@pytest.fixture
def terminal(org, gym):
    from rest_framework.test import APIClient

    device, raw = device_key_create(organization=org, name="Door", kind="terminal")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {raw}")
    client.device = device
    return client


def test_qr_check_in_answers_with_member_and_streak(desk, gym_member):
    with time_machine.travel(T0, tick=False):
        response = desk.post("/api/v1/gym/checkin", {"qr": qr(gym_member)}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["result"] == "allowed"
    assert body["visit"]["access_method"] == "qr"
    assert body["visit"]["access_type"] == "member"
    assert body["member"]["name"] == "Gina Gymrat"
    assert body["member"]["current_streak"] == 1
    assert body["member"]["subscription_status"] == "active"


def test_manual_check_in_by_user_id_then_anti_passback_with_next_time(desk, gym_member):
    with time_machine.travel(T0, tick=False):
        assert desk.post("/api/v1/gym/checkin", {"user_id": gym_member.pk}, format="json").status_code == 201
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        refused = desk.post("/api/v1/gym/checkin", {"qr": qr(gym_member)}, format="json")
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "anti_passback"
    assert body["next_allowed_at"].startswith("2026-03-10T10:00:00")  # 11:00 Madrid, in UTC
    assert "11:00" in body["detail"]
    assert body["member"]["name"] == "Gina Gymrat"


def test_unknown_and_invalid_qr_are_refused_and_recorded(desk, org):
    unknown = desk.post("/api/v1/gym/checkin", {"qr": "GYM_QR_doesnotexist"}, format="json")
    invalid = desk.post("/api/v1/gym/checkin", {"qr": "HELLO"}, format="json")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_qr")
    assert (invalid.status_code, invalid.json()["code"]) == (400, "invalid_qr")
    assert set(Refusal.objects.filter(organization=org).values_list("code", "attendee_id", "source")) == {
        ("unknown_qr", None, "gym"), ("invalid_qr", None, "gym"),
    }


def test_body_must_name_one_way_in(desk):
    response = desk.post("/api/v1/gym/checkin", {}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")


def test_refusals_are_listed_for_the_desk_and_the_admin(desk, owner_client, make_member):
    expired = make_member("Ed", expires_at=madrid(2026, 1, 1))
    with time_machine.travel(T0, tick=False):
        desk.post("/api/v1/gym/checkin", {"user_id": expired.pk}, format="json")
        desk.post("/api/v1/gym/checkin", {"qr": "GYM_QR_nope"}, format="json")
        for client in (desk, owner_client):
            rows = client.get("/api/v1/gym/refusals").json()["results"]
            assert [(r["code"], r["name"]) for r in rows] == [("unknown_qr", ""), ("subscription_expired", "Ed Test")]
    # the engine's admin-facing list shows them too
    assert {r["code"] for r in owner_client.get("/api/v1/refusals/").json()["results"]} == {"unknown_qr", "subscription_expired"}


def test_other_tenants_and_roles(gym, gym_member, outsider_client, worker, plain_member):
    assert outsider_client.post("/api/v1/gym/checkin?org=acme", {"user_id": gym_member.pk}, format="json").status_code == 404
    assert client_for(worker).post("/api/v1/gym/checkin", {"user_id": gym_member.pk}, format="json").status_code == 403
    assert client_for(plain_member).get("/api/v1/gym/members?q=gi").status_code == 403


def test_member_of_another_gym_is_not_found(desk, other_member):
    response = desk.post("/api/v1/gym/checkin", {"user_id": other_member.pk}, format="json")
    assert (response.status_code, response.json()["code"]) == (404, "member_not_found")
    refusal = Refusal.objects.get(code="member_not_found")
    assert refusal.organization.slug == "acme" and refusal.metadata["member_id"] == other_member.pk


def test_qr_card_of_another_gyms_member_is_unknown_here(desk, other_member):
    response = desk.post("/api/v1/gym/checkin", {"qr": qr(other_member)}, format="json")
    assert (response.status_code, response.json()["code"]) == (404, "unknown_qr")
    assert not CheckIn.objects.filter(attendee_id=other_member.pk).exists()
    assert Refusal.objects.get(code="unknown_qr").organization.slug == "acme"


def test_organization_that_is_not_a_gym(colleague_client, member):
    response = colleague_client.post("/api/v1/gym/checkin", {"user_id": member.pk}, format="json")
    assert (response.status_code, response.json()["code"]) == (404, "gym_not_configured")


# --- courtesy ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("role", "superuser", "expected"),
    [
        (Role.OWNER, False, 201), (Role.ADMIN, False, 201), (Role.RECEPTIONIST, False, 201),
        (Role.STAFF, False, 403), (Role.MEMBER, False, 403), (None, True, 201), (Role.STAFF, True, 201),
    ],
)
def test_courtesy_role_matrix(org, gym, gym_member, role, superuser, expected):
    user = make_user(f"u-{role}-{superuser}", org if role else None, role, is_superuser=superuser)
    response = client_for(user).post(
        "/api/v1/gym/checkin/courtesy?org=acme", {"user_id": gym_member.pk, "reason": "Lost card"}, format="json"
    )
    assert response.status_code == expected, response.json()
    assert CheckIn.objects.filter(kind="courtesy").count() == (1 if expected == 201 else 0)
    assert AuditLog.objects.filter(action="COURTESY_ACCESS_GRANTED").count() == (1 if expected == 201 else 0)


def test_courtesy_outsider_gets_404(gym, gym_member, outsider_client):
    response = outsider_client.post("/api/v1/gym/checkin/courtesy?org=acme", {"user_id": gym_member.pk, "reason": "x"}, format="json")
    assert response.status_code == 404


def test_courtesy_audit_record_content(desk, colleague, org, gym_member):
    with time_machine.travel(T0, tick=False):
        response = desk.post("/api/v1/gym/checkin/courtesy", {"user_id": gym_member.pk, "reason": "Forgot card, known member"}, format="json")
    assert response.status_code == 201
    visit_id = response.json()["visit"]["id"]
    log = AuditLog.objects.get(action="COURTESY_ACCESS_GRANTED")
    assert log.organization == org
    assert log.actor == colleague
    assert log.reason == "Forgot card, known member"
    assert log.data["reason"] == "Forgot card, known member"
    assert log.data["visit_id"] == visit_id
    assert log.data["member_id"] == gym_member.pk
    assert log.object_id == str(visit_id)
    assert response.json()["visit"]["access_type"] == "courtesy"
    assert GymProfile.objects.get(member=gym_member).last_visit_at is None


def test_courtesy_needs_a_reason_and_can_admit_a_guest(desk):
    missing = desk.post("/api/v1/gym/checkin/courtesy", {"guest_name": "Pat Guest"}, format="json")
    assert missing.status_code == 400
    blank = desk.post("/api/v1/gym/checkin/courtesy", {"guest_name": "Pat Guest", "reason": "   "}, format="json")
    assert blank.status_code == 400
    guest = desk.post("/api/v1/gym/checkin/courtesy", {"guest_name": "Pat Guest", "reason": "Trial"}, format="json")
    assert guest.status_code == 201, guest.json()
    assert guest.json()["member"]["name"] == "Pat Guest"
    assert guest.json()["member"]["subscription_status"] == "inactive"


# --- biometric -----------------------------------------------------------------------------------

def test_biometric_check_in_from_terminal_with_hashed_footprint(desk, terminal, gym_member):
    enrol = desk.post(f"/api/v1/gym/members/{gym_member.pk}/footprint", {"footprint_id": "FINGER-42"}, format="json")
    assert enrol.status_code == 200
    stored = GymProfile.objects.get(member=gym_member).footprint_hash
    assert stored == footprint_hash("FINGER-42") and "FINGER-42" not in stored
    with time_machine.travel(T0, tick=False):
        ok = terminal.post("/api/v1/gym/biometric/checkin", {"footprint_id": "FINGER-42"}, format="json")
    assert ok.status_code == 201, ok.json()
    assert ok.json()["visit"]["access_method"] == "biometric"
    assert CheckIn.objects.get().device == terminal.device
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        again = terminal.post("/api/v1/gym/biometric/checkin", {"footprint_id": "FINGER-42"}, format="json")
    assert again.json()["code"] == "anti_passback"


def test_biometric_unknown_footprint_and_wrong_callers(desk, terminal, kiosk, org):
    unknown = terminal.post("/api/v1/gym/biometric/checkin", {"footprint_id": "NOPE"}, format="json")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_footprint")
    refusal = Refusal.objects.get(code="unknown_footprint")
    assert refusal.device == terminal.device and refusal.method == "biometric"
    assert "NOPE" not in str(refusal.metadata)
    assert kiosk.post("/api/v1/gym/biometric/checkin", {"footprint_id": "x"}, format="json").status_code == 403
    assert desk.post("/api/v1/gym/biometric/checkin", {"footprint_id": "x"}, format="json").status_code == 403


def test_footprint_cannot_belong_to_two_members(desk, make_member):
    a, b = make_member(), make_member()
    assert desk.post(f"/api/v1/gym/members/{a.pk}/footprint", {"footprint_id": "F1"}, format="json").status_code == 200
    taken = desk.post(f"/api/v1/gym/members/{b.pk}/footprint", {"footprint_id": "F1"}, format="json")
    assert (taken.status_code, taken.json()["code"]) == (409, "footprint_taken")


def test_door_devices_scan_qr_but_cannot_check_in_by_id(terminal, gym_member):
    with time_machine.travel(T0, tick=False):
        assert terminal.post("/api/v1/gym/checkin", {"qr": qr(gym_member)}, format="json").status_code == 201
    assert terminal.post("/api/v1/gym/checkin", {"user_id": gym_member.pk}, format="json").status_code == 403


# --- members, QR images, rotation -----------------------------------------------------------------

def test_member_search_by_name_email_phone(desk, gym_member, make_member):
    make_member("Other", email="zzz@example.com")
    for query in ("gina", "gymrat", "gina@exa", "111 222", "Gina Gym"):
        names = [m["name"] for m in desk.get("/api/v1/gym/members", {"q": query}).json()["results"]]
        assert names == ["Gina Gymrat"], query


def test_member_create(desk, org):
    response = desk.post("/api/v1/gym/members", {"first_name": "New", "last_name": "Person", "expires_at": "2030-01-01T00:00:00Z"}, format="json")
    assert response.status_code == 201
    assert response.json()["subscription_status"] == "active"
    assert GymProfile.objects.get(member_id=response.json()["id"]).organization == org


def test_qr_image_and_rotation_invalidates_old_code(desk, gym_member):
    image = desk.get(f"/api/v1/gym/members/{gym_member.pk}/qr.svg")
    assert image.status_code == 200
    assert image["Content-Type"] == "image/svg+xml"
    assert image.content.lstrip().startswith((b"<?xml", b"<svg")) and b"</svg>" in image.content
    old = qr(gym_member)
    rotated = desk.post(f"/api/v1/gym/members/{gym_member.pk}/rotate-qr")
    assert rotated.status_code == 200
    new = rotated.json()["qr"]
    assert new != old and new.startswith("GYM_QR_")
    assert desk.get(f"/api/v1/gym/members/{gym_member.pk}/qr.svg").content != image.content
    assert desk.post("/api/v1/gym/checkin", {"qr": old}, format="json").json()["code"] == "unknown_qr"
    with time_machine.travel(T0, tick=False):
        assert desk.post("/api/v1/gym/checkin", {"qr": new}, format="json").status_code == 201
    assert AuditLog.objects.filter(action="member.qr_rotated").count() == 1


def test_subscription_and_freeze_endpoints(desk, gym_member):
    response = desk.put(f"/api/v1/gym/members/{gym_member.pk}/subscription",
                        {"subscription_status": "paused", "expires_at": None}, format="json")
    assert response.json()["subscription_status"] == "paused"
    frozen = desk.put(f"/api/v1/gym/members/{gym_member.pk}/freeze", {"until": "2026-04-01"}, format="json")
    assert frozen.status_code == 200
    assert str(GymProfile.objects.get(member=gym_member).streak_freeze_until) == "2026-04-01"


def test_desk_panel_lists_today_visits_and_occupancy(desk, gym_member, staff_member):
    with time_machine.travel(T0, tick=False):
        desk.post("/api/v1/gym/checkin", {"user_id": gym_member.pk}, format="json")
        desk.post("/api/v1/gym/checkin", {"qr": qr(staff_member)}, format="json")
        state = desk.get("/api/v1/gym/desk").json()
    assert state["occupancy"]["total"] == 2
    assert [(v["name"], v["access_type"], v["access_method"]) for v in state["visits"]] == [
        ("Sven Staff", "staff", "qr"), ("Gina Gymrat", "member", "manual"),
    ]


def test_settings_are_for_managers(owner_client, desk, gym):
    assert desk.get("/api/v1/gym/settings").status_code == 403
    response = owner_client.patch("/api/v1/gym/settings", {"closed_weekdays": [6]}, format="json")
    assert response.json()["closed_weekdays"] == [6]
    bad = owner_client.patch("/api/v1/gym/settings", {"closed_weekdays": [0, 1, 2, 3, 4, 5, 6]}, format="json")
    assert bad.json()["code"] == "invalid_weekdays"
    assert owner_client.post("/api/v1/gym/closed-days", {"date": "2026-12-25", "reason": "Christmas"}, format="json").status_code == 201


def test_superuser_without_membership_acts_as_owner(org, gym, gym_member):
    admin = get_user_model().objects.create_superuser("root", password="x")
    assert not Membership.objects.filter(user=admin).exists()
    with time_machine.travel(T0, tick=False):
        response = client_for(admin).post("/api/v1/gym/checkin?org=acme", {"user_id": gym_member.pk}, format="json")
    assert response.status_code == 201


def test_the_engine_api_cannot_bypass_the_gym_rules(owner_client, make_member):
    expired = make_member("Old", status=SubscriptionStatus.ACTIVE, expires_at=madrid(2020, 1, 1))
    response = owner_client.post("/api/v1/check-ins/", {"attendee_id": expired.pk}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "subscription_expired"
    valid = make_member("Fresh")
    assert owner_client.post("/api/v1/check-ins/", {"attendee_id": valid.pk}, format="json").status_code == 201
    again = owner_client.post("/api/v1/check-ins/", {"attendee_id": valid.pk}, format="json")
    assert again.json()["code"] == "anti_passback"


def test_an_organization_becoming_a_gym_applies_door_rules_at_once(org, owner_client, member):
    """"Is this organization a gym?" is read on every check-in, so the very next check-in through
    the engine API after configuring the gym obeys the gym's subscription rule."""
    from attendance import services as engine

    first = owner_client.post("/api/v1/check-ins/", {"attendee_id": member.pk}, format="json")
    assert first.status_code == 201  # not a gym: the generic API is not the gym's to police
    engine.check_out(organization=org, attendee=member)

    from gamification.services import gym_configure

    gym_configure(organization=org)  # the member has no subscription
    second = owner_client.post("/api/v1/check-ins/", {"attendee_id": member.pk}, format="json")
    assert second.status_code == 409
    assert second.json()["code"] == "subscription_inactive"
