"""Courtesy passes a desk gave offline, pushed later: POST /api/v1/gym/checkin/courtesy/queue."""

import threading
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import timezone

from attendance.models import CheckIn, Member, Refusal
from gamification.models import GymProfile
from gamification.tests.conftest import madrid
from organizations.models import AuditLog, Role
from tests.contract.validation import openapi
from tests.fixtures import client_for, make_user

URL = "/api/v1/gym/checkin/courtesy/queue"
GIVEN = madrid(2026, 3, 10, 9, 0)  # when the desk gave the pass, offline
PUSHED = madrid(2026, 3, 10, 11, 30)  # when the network came back
pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(colleague, gym):
    return client_for(colleague)


def item(**fields):
    return {"event_id": str(uuid.uuid4()), "at": GIVEN.isoformat(), "reason": "Lost card", **fields}


def push(client, *items):
    with time_machine.travel(PUSHED, tick=False):
        response = client.post(URL, {"items": list(items)}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_a_members_pass_is_recorded_at_its_own_time_with_its_reason_and_the_pushing_user(desk, colleague, gym_member):
    [result] = push(desk, item(user_id=gym_member.pk, reason="Forgot card, known member"))
    assert result["status"] == "recorded"
    visit = CheckIn.objects.get()
    assert visit.pk == result["check_in_id"]
    assert (visit.attendee_id, visit.kind, visit.method) == (gym_member.pk, "courtesy", "courtesy")
    assert visit.checked_in_at == GIVEN
    assert visit.expected_checkout_at == GIVEN + timedelta(hours=2)
    assert visit.metadata["access_type"] == "courtesy"
    log = AuditLog.objects.get(action="COURTESY_ACCESS_GRANTED")
    assert log.actor == colleague
    assert log.reason == "Forgot card, known member"
    assert log.data["visit_id"] == visit.pk
    profile = GymProfile.objects.get(member=gym_member)
    assert profile.last_visit_at is None and profile.current_streak == 0  # a courtesy visit counts for neither


def test_a_new_guests_pass_creates_the_guest_without_a_subscription(desk, org):
    [result] = push(desk, item(guest_name="Pat Guest", reason="Trial day"))
    assert result["status"] == "recorded"
    guest = Member.objects.get(first_name="Pat", last_name="Guest")
    assert guest.organization == org
    assert GymProfile.objects.get(member=guest).subscription_status == "inactive"
    visit = CheckIn.objects.get(attendee_id=guest.pk)
    assert visit.kind == "courtesy" and visit.checked_in_at == GIVEN
    assert AuditLog.objects.get(action="COURTESY_ACCESS_GRANTED").reason == "Trial day"


def test_a_queue_pushed_again_creates_one_guest_and_one_visit(desk):
    queued = item(guest_name="Pat Guest")
    [first] = push(desk, queued)
    [again] = push(desk, queued)
    assert first["status"] == "recorded"
    assert again["status"] == "duplicate" and again["check_in_id"] == first["check_in_id"]
    assert Member.objects.filter(first_name="Pat").count() == 1
    assert CheckIn.objects.count() == 1
    assert AuditLog.objects.filter(action="COURTESY_ACCESS_GRANTED").count() == 1


def test_a_guest_is_created_once_even_when_the_answer_was_lost_midway(desk, org):
    """The push's claim was lost (say the server restarted after creating the guest): pushing the
    event again finds the guest its event id created instead of adding another."""
    from gamification import services

    queued = item(guest_name="Pat Guest")
    earlier = services.courtesy_guest_create(organization=org, name="Pat Guest", event_id=queued["event_id"])
    [result] = push(desk, queued)
    assert result["status"] == "recorded"
    assert list(Member.objects.filter(first_name="Pat")) == [earlier]
    assert CheckIn.objects.get().attendee_id == earlier.pk


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_pass_without_a_reason_is_invalid_and_the_others_are_recorded(desk, gym_member, reason):
    bad = item(guest_name="Pat Guest")
    if reason is None:
        del bad["reason"]
    else:
        bad["reason"] = reason
    results = push(desk, bad, item(user_id=gym_member.pk))
    assert [r["status"] for r in results] == ["invalid", "recorded"]
    assert results[0]["event_id"] == bad["event_id"] and "reason" in results[0]["errors"]
    assert not Member.objects.filter(first_name="Pat").exists()
    assert CheckIn.objects.get().attendee_id == gym_member.pk


@pytest.mark.parametrize(
    "fields", [{}, {"user_id": 1, "guest_name": "Pat Guest"}, {"at": "yesterday"}, {"guest_name": ""}]
)
def test_an_item_that_does_not_parse_is_invalid(desk, fields):
    [result] = push(desk, item(**fields))
    assert result["status"] == "invalid" and result["code"] == "invalid"
    assert not CheckIn.objects.exists() and not Member.objects.exists()


@pytest.mark.parametrize("role", [Role.STAFF, Role.MEMBER])
def test_a_user_without_the_role_gets_a_recorded_refusal_per_item_and_nothing_else(org, gym, gym_member, role):
    pusher = client_for(make_user("pusher", org, role))
    guest_item, member_item = item(guest_name="Pat Guest"), item(user_id=gym_member.pk)
    results = push(pusher, guest_item, member_item)
    assert [(r["status"], r["code"]) for r in results] == [("refused", "permission_denied")] * 2
    assert not CheckIn.objects.exists()
    assert not Member.objects.filter(first_name="Pat").exists()  # checked before any write
    refusals = Refusal.objects.order_by("id")
    assert [(r.code, r.attendee_id, r.external_id) for r in refusals] == [
        ("permission_denied", None, guest_item["event_id"]), ("permission_denied", gym_member.pk, member_item["event_id"]),
    ]
    assert refusals[0].metadata == {"guest_name": "Pat Guest"} and refusals[0].attempted_at == GIVEN
    push(pusher, guest_item, member_item)
    assert Refusal.objects.count() == 2  # recorded once per event


def test_a_member_of_another_gym_is_refused_not_found(desk, other_org):
    from attendance.models import Member as AnyMember

    stranger = AnyMember.objects.create(organization=other_org, first_name="Stranger")
    [result] = push(desk, item(user_id=stranger.pk))
    assert (result["status"], result["code"]) == ("refused", "member_not_found")
    assert not CheckIn.objects.exists()


def test_a_suspended_member_is_refused_by_the_engine_at_push(desk, gym_member):
    Member.objects.filter(pk=gym_member.pk).update(status="suspended")
    [result] = push(desk, item(user_id=gym_member.pk))
    assert (result["status"], result["code"]) == ("refused", "attendee_inactive")
    assert Refusal.objects.get().external_id is not None


def test_passes_are_judged_in_time_order_with_the_desks_other_entries(desk, gym_member):
    """A courtesy pass never counts for anti-passback: the member's own entry an hour later is let in."""
    [courtesy] = push(desk, item(user_id=gym_member.pk))
    with time_machine.travel(PUSHED, tick=False):
        entry = desk.post("/api/v1/check-ins/bulk/", {"items": [{
            "action": "check_in", "attendee_id": gym_member.pk, "event_id": str(uuid.uuid4()), "method": "manual",
            "at": (GIVEN + timedelta(hours=1)).isoformat(),
        }]}, format="json")
    assert courtesy["status"] == "recorded"
    assert entry.json()["results"][0]["status"] == "recorded", entry.json()
    first, second = CheckIn.objects.order_by("checked_in_at")
    assert first.kind == "courtesy" and first.checked_out_at == second.checked_in_at
    assert GymProfile.objects.get(member=gym_member).last_visit_at == second.checked_in_at


def test_an_outsider_gets_404(gym, gym_member, outsider_client):
    response = outsider_client.post(f"{URL}?org=acme", {"items": [item(user_id=gym_member.pk)]}, format="json")
    assert response.status_code == 404
    assert not CheckIn.objects.exists()


def test_a_body_without_items_is_a_400(desk):
    response = desk.post(URL, {"items": []}, format="json")
    assert response.status_code == 400
    assert response.json()["code"]


def test_the_desk_lists_the_pushed_passes_and_refusals_among_todays(org, gym, desk, gym_member):
    pusher = client_for(make_user("pusher", org, Role.STAFF))
    push(desk, item(user_id=gym_member.pk, reason="Forgot card"))
    push(pusher, item(guest_name="Pat Guest"))
    with time_machine.travel(PUSHED, tick=False):
        panel = desk.get("/api/v1/gym/desk").json()
    assert [(v["name"], v["access_type"]) for v in panel["visits"]] == [(gym_member.full_name, "courtesy")]
    assert [r["code"] for r in panel["refusals"]] == ["permission_denied"]


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="row locks need PostgreSQL; CI runs this on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_identical_pushes_at_once_create_one_guest_and_one_visit(org, gym, colleague):
    openapi()  # the contract check's schema, built here rather than by four first requests at once
    queued = item(guest_name="Pat Guest", at=(timezone.now() - timedelta(minutes=5)).isoformat())
    barrier = threading.Barrier(4)
    answers, lock = [], threading.Lock()

    def push_once():
        try:
            barrier.wait(timeout=10)
            body = client_for(colleague).post(URL, {"items": [queued]}, format="json").json()
        finally:
            connection.close()
        with lock:
            answers.append(body["results"][0]["status"])

    threads = [threading.Thread(target=push_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answers) == ["duplicate"] * 3 + ["recorded"]
    assert Member.objects.filter(first_name="Pat").count() == 1
    assert CheckIn.objects.count() == 1
