"""Offline batches judged at the events' own times: past visits, malformed items, replays, races."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from attendance import services
from attendance.models import CheckIn, Refusal
from gamification import services as gym_services
from gamification.models import GymProfile

pytestmark = pytest.mark.django_db
BULK = "/api/v1/check-ins/bulk/"


def iso(moment):
    return moment.isoformat()


def test_a_visit_from_yesterday_is_recorded_while_the_person_is_in_now(kiosk, member, org):
    now = timezone.now().replace(microsecond=0)
    services.check_in(organization=org, attendee=member, at=now - timedelta(hours=1))
    yesterday = now - timedelta(hours=26)
    items = [
        {"action": "check_in", "attendee_id": member.pk, "at": iso(yesterday), "event_id": "y-in"},
        {"action": "check_out", "attendee_id": member.pk, "at": iso(yesterday + timedelta(hours=8)), "event_id": "y-out"},
    ]
    body = kiosk.post(BULK, {"items": items}, format="json").json()
    assert [r["status"] for r in body["results"]] == ["recorded", "recorded"], body
    past = CheckIn.objects.get(checked_in_at=yesterday)
    assert past.checked_out_at == yesterday + timedelta(hours=8)
    assert past.duration == timedelta(hours=8) and not past.auto_closed
    member.refresh_from_db()
    current = CheckIn.objects.get(checked_out_at__isnull=True)
    assert member.session_check_in_id == current.pk and current.checked_in_at == now - timedelta(hours=1)
    assert member.total_visits == 2 and member.last_visit_at == now - timedelta(hours=1)


def test_a_past_check_in_without_its_check_out_ends_when_the_next_session_starts(kiosk, member, org):
    now = timezone.now().replace(microsecond=0)
    services.check_in(organization=org, attendee=member, at=now - timedelta(hours=1))
    item = {"action": "check_in", "attendee_id": member.pk, "at": iso(now - timedelta(hours=5)), "event_id": "e1"}
    assert kiosk.post(BULK, {"items": [item]}, format="json").json()["results"][0]["status"] == "recorded"
    past = CheckIn.objects.get(checked_in_at=now - timedelta(hours=5))
    assert past.checked_out_at == now - timedelta(hours=1) and past.auto_closed
    assert CheckIn.objects.filter(checked_out_at__isnull=True).count() == 1


def test_malformed_items_are_answered_one_by_one_and_the_rest_recorded(kiosk, member):
    now = timezone.now().replace(microsecond=0)
    items = [
        {"action": "teleport", "attendee_id": member.pk, "at": iso(now), "event_id": "bad-action"},
        {"action": "check_in", "attendee_id": member.pk, "event_id": "no-time"},
        {"action": "check_in", "attendee_id": member.pk, "at": "yesterday-ish", "event_id": "bad-time"},
        "not an object",
        {"action": "check_in", "attendee_id": member.pk, "at": iso(now - timedelta(minutes=5)), "event_id": "good"},
    ]
    response = kiosk.post(BULK, {"items": items}, format="json")
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["invalid"] * 4 + ["recorded"]
    assert "action" in results[0]["errors"] and results[0]["event_id"] == "bad-action"
    assert "at" in results[1]["errors"] and "at" in results[2]["errors"]
    assert results[3]["event_id"] is None and results[3]["code"] == "invalid"
    assert response.json()["summary"] == {"invalid": 4, "recorded": 1}
    assert CheckIn.objects.count() == 1


def test_only_a_body_without_a_list_of_items_is_a_400(kiosk):
    for body in ({"items": "x"}, {"items": []}, {}, ["x"]):
        response = kiosk.post(BULK, body, format="json")
        assert response.status_code == 400 and response.json()["code"] == "invalid", body


def test_replaying_a_batch_adds_no_refusal(kiosk, member, org):
    member.attendance_enabled = False
    member.save()
    items = [{"action": "check_in", "attendee": member, "at": timezone.now() - timedelta(minutes=3), "event_id": "e1"}]
    for _ in range(3):
        results = services.record_bulk(organization=org, device=kiosk.device, items=items)
        assert results[0]["code"] == "attendance_disabled"
    assert Refusal.objects.filter(organization=org).count() == 1
    body = [{"action": "check_in", "attendee_id": member.pk, "at": iso(timezone.now() - timedelta(minutes=2)),
             "event_id": "e2"}]
    for _ in range(2):
        assert kiosk.post(BULK, {"items": body}, format="json").json()["results"][0]["code"] == "attendance_disabled"
    assert Refusal.objects.filter(organization=org).count() == 2


@pytest.fixture
def gym_member(org):
    gym_services.gym_configure(organization=org)
    return gym_services.gym_member_create(
        organization=org, first_name="Gina", last_name="Gym", access_type="member", subscription_status="active",
        expires_at=timezone.now() + timedelta(days=365),
    )


def test_gym_rules_apply_at_the_events_own_times(kiosk, gym_member, org):
    now = timezone.now().replace(microsecond=0)
    gym_services.gym_check_in(organization=org, member=gym_member, access_method="qr", at=now - timedelta(minutes=30))
    items = [
        {"action": "check_in", "attendee_id": gym_member.pk, "at": iso(now - timedelta(hours=26)), "event_id": "a"},
        # 1 h 30 before the entry the server already has: inside the 2 h anti-passback window
        {"action": "check_in", "attendee_id": gym_member.pk, "at": iso(now - timedelta(hours=2)), "event_id": "b"},
    ]
    results = kiosk.post(BULK, {"items": items}, format="json").json()["results"]
    assert [r["status"] for r in results] == ["recorded", "refused"], results
    assert results[1]["code"] == "anti_passback"
    profile = GymProfile.objects.get(member=gym_member)
    assert profile.last_visit_at == now - timedelta(minutes=30)
    assert CheckIn.objects.filter(attendee_id=gym_member.pk).count() == 2


def test_a_queue_of_visits_on_three_days_makes_a_streak_of_three(kiosk, gym_member):
    now = timezone.now().replace(microsecond=0)
    items = [
        {"action": "check_in", "attendee_id": gym_member.pk, "at": iso(now - timedelta(days=d, minutes=1)),
         "event_id": f"d{d}"}
        for d in (0, 2, 1)
    ]
    results = kiosk.post(BULK, {"items": items}, format="json").json()["results"]
    assert [r["status"] for r in results] == ["recorded"] * 3
    profile = GymProfile.objects.get(member=gym_member)
    assert profile.current_streak == 3 and profile.last_visit_at == now - timedelta(minutes=1)
    assert CheckIn.objects.filter(checked_out_at__isnull=True).count() == 1


@pytest.mark.parametrize("first", ["early", "late"])
def test_two_desks_admitting_one_member_offline_make_one_visit_and_one_refusal(org, gym_member, first):
    from organizations.services import device_key_create

    now = timezone.now().replace(microsecond=0)
    times = {"early": now - timedelta(minutes=40), "late": now - timedelta(minutes=10)}
    desks = {}
    for name in times:
        _, raw = device_key_create(organization=org, name=f"desk {name}", kind="terminal")
        desks[name] = APIClient()
        desks[name].credentials(HTTP_AUTHORIZATION=f"Device {raw}")
    order = [first, "late" if first == "early" else "early"]
    answers = []
    for name in order:
        item = {"action": "check_in", "attendee_id": gym_member.pk, "at": iso(times[name]), "event_id": "scan-1"}
        answers.append(desks[name].post(BULK, {"items": [item]}, format="json").json()["results"][0])
    assert [a["status"] for a in answers] == ["recorded", "refused"]
    assert answers[1]["code"] == "anti_passback"
    assert CheckIn.objects.filter(attendee_id=gym_member.pk).count() == 1
    assert Refusal.objects.filter(attendee_id=gym_member.pk, code="anti_passback").count() == 1


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="row locks need PostgreSQL; CI runs this on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_five_identical_pushes_at_once_answer_recorded_or_duplicate(org, kiosk, member):
    now = timezone.now().replace(microsecond=0)
    items = []
    for n in range(4):
        start = now - timedelta(hours=10 - 2 * n)
        items += [
            {"action": "check_in", "attendee_id": member.pk, "at": iso(start), "event_id": f"in-{n}"},
            {"action": "check_out", "attendee_id": member.pk, "at": iso(start + timedelta(hours=1)), "event_id": f"out-{n}"},
        ]
    barrier = threading.Barrier(5)
    answers, lock = [], threading.Lock()

    def push():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Device {kiosk.raw_key}")
        try:
            barrier.wait(timeout=10)
            body = client.post(BULK, {"items": items}, format="json").json()
        finally:
            connection.close()
        with lock:
            answers.append(body)

    threads = [threading.Thread(target=push) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 5
    for body in answers:
        assert {r["status"] for r in body["results"]} <= {"recorded", "duplicate"}, body
    for index in range(len(items)):
        assert sum(body["results"][index]["status"] == "recorded" for body in answers) == 1
    assert CheckIn.objects.count() == 4 and not CheckIn.objects.filter(checked_out_at__isnull=True).exists()
    assert Refusal.objects.count() == 0
