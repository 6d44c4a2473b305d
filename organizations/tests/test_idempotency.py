"""One idempotency mechanism for the engine API, the gym door, the staff clock and offline batches:
a key is bound to its request (caller, method, path, body hash)."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from attendance.models import CheckIn, Refusal
from gamification.models import QR_PREFIX, SubscriptionStatus
from organizations.models import DeviceKind, IdempotencyKey
from organizations.services import device_key_create

pytestmark = pytest.mark.django_db

DOOR = "/api/v1/gym/checkin"


@pytest.fixture
def terminal(org):
    _, raw = device_key_create(organization=org, name="Door 1", kind=DeviceKind.TERMINAL)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {raw}")
    return client


@pytest.fixture
def gym(org):
    from gamification import services

    return services.gym_configure(organization=org)


def gym_member(org, name, status=SubscriptionStatus.ACTIVE):
    from gamification import services

    return services.gym_member_create(organization=org, first_name=name, last_name="Test", subscription_status=status,
                                      expires_at=timezone.now() + timedelta(days=30))


def scan(client, member, key):
    return client.post(DOOR, {"qr": f"{QR_PREFIX}{member.qr_token}"}, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_door_scan_with_another_scans_key_is_refused_and_lets_nobody_in(org, gym, terminal):
    allowed = gym_member(org, "Bea")
    cancelled = gym_member(org, "Al", status=SubscriptionStatus.CANCELLED)
    first = scan(terminal, allowed, "1")
    assert first.status_code == 201 and first.json()["result"] == "allowed"

    reused = scan(terminal, cancelled, "1")  # the terminal's key counter restarted

    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused" and "different request" in reused.json()["detail"]
    assert CheckIn.objects.count() == 1
    # With a fresh key the cancelled member's scan is judged, refused and recorded.
    judged = scan(terminal, cancelled, "2")
    assert judged.status_code == 409 and judged.json()["code"] != "idempotency_key_reused"
    assert list(Refusal.objects.values_list("attendee_id", flat=True)) == [cancelled.pk]


def test_a_replay_answers_the_first_result_without_running_again(org, gym, terminal):
    bea = gym_member(org, "Bea")
    cancelled = gym_member(org, "Al", status=SubscriptionStatus.CANCELLED)
    first, again = scan(terminal, bea, "k-1"), scan(terminal, bea, "k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert CheckIn.objects.count() == 1
    # A refusal is an answer too: its retry answers the same refusal and records nothing more.
    refused, refused_again = scan(terminal, cancelled, "k-2"), scan(terminal, cancelled, "k-2")
    assert refused.status_code == refused_again.status_code == 409
    assert refused_again.json() == refused.json() and refused_again["Idempotent-Replayed"] == "true"
    assert Refusal.objects.count() == 1


def test_keys_belong_to_their_caller(org, gym, terminal, owner_client):
    other_door = APIClient()
    other_door.credentials(HTTP_AUTHORIZATION=f"Device {device_key_create(organization=org, name='Door 2', kind=DeviceKind.TERMINAL)[1]}")
    bea, cai = gym_member(org, "Bea"), gym_member(org, "Cai")
    assert scan(terminal, bea, "7").status_code == 201
    second = scan(other_door, cai, "7")  # another device's "7" is its own key
    assert second.status_code == 201 and second.json()["member"]["id"] == cai.pk
    assert not second.has_header("Idempotent-Replayed")
    # The engine's API and the door share the mechanism: the same caller's key on another path is refused.
    dee, eve = gym_member(org, "Dee"), gym_member(org, "Eve")
    engine = owner_client.post("/api/v1/check-ins/", {"attendee_id": dee.pk}, format="json", HTTP_IDEMPOTENCY_KEY="x")
    assert engine.status_code == 201
    other_body = owner_client.post("/api/v1/check-ins/", {"attendee_id": eve.pk}, format="json", HTTP_IDEMPOTENCY_KEY="x")
    assert other_body.status_code == 422 and other_body.json()["code"] == "idempotency_key_reused"


def test_an_over_long_key_is_refused_and_the_longest_stored_key_works(owner_client, member):
    too_long = owner_client.post("/api/v1/check-ins/", {"attendee_id": member.pk}, format="json",
                                 HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert too_long.status_code == 400 and too_long.json()["code"] == "invalid_idempotency_key"
    assert "255" in too_long.json()["detail"]
    assert CheckIn.objects.count() == 0
    longest = owner_client.post("/api/v1/check-ins/", {"attendee_id": member.pk}, format="json",
                                HTTP_IDEMPOTENCY_KEY="k" * 255)
    assert longest.status_code == 201
    assert IdempotencyKey.objects.get().key == "k" * 255


def test_an_error_answer_is_stored_and_replayed_like_any_other(owner_client, member):
    unknown = owner_client.post("/api/v1/check-ins/", {"attendee_id": 10**9}, format="json", HTTP_IDEMPOTENCY_KEY="a")
    again = owner_client.post("/api/v1/check-ins/", {"attendee_id": 10**9}, format="json", HTTP_IDEMPOTENCY_KEY="a")
    assert unknown.status_code == again.status_code == 404
    assert again.json() == unknown.json() and again["Idempotent-Replayed"] == "true"
    assert IdempotencyKey.objects.get(key="a").status_code == 404


def test_an_offline_event_id_is_bound_to_its_item(org, member, owner_client):
    _, raw = device_key_create(organization=org, name="Kiosk", kind=DeviceKind.KIOSK)
    kiosk = APIClient()
    kiosk.credentials(HTTP_AUTHORIZATION=f"Device {raw}")
    other = type(member).objects.create(organization=org, first_name="Bo", last_name="B")
    at = (timezone.now() - timedelta(hours=1)).isoformat()
    item = {"action": "check_in", "attendee_id": member.pk, "at": at, "event_id": "e1"}
    first = kiosk.post("/api/v1/check-ins/bulk/", {"items": [item]}, format="json").json()
    assert first["results"][0]["status"] == "recorded"
    replay = kiosk.post("/api/v1/check-ins/bulk/", {"items": [item]}, format="json").json()
    assert replay["results"][0] == {**first["results"][0], "status": "duplicate"}
    reused = kiosk.post("/api/v1/check-ins/bulk/", {"items": [{**item, "attendee_id": other.pk}]}, format="json").json()
    assert reused["results"][0]["status"] == "refused"
    assert reused["results"][0]["code"] == "idempotency_key_reused"
    assert CheckIn.objects.filter(attendee_id=other.pk).count() == 0
    assert CheckIn.objects.count() == 1


def test_the_staff_clock_uses_the_same_keys(org, owner, owner_client):
    from staff.models import Staff

    Staff.objects.create(organization=org, user=owner, first_name="O")
    first = owner_client.post("/api/staff/acme/clock/", HTTP_IDEMPOTENCY_KEY="t")
    again = owner_client.post("/api/staff/acme/clock/", HTTP_IDEMPOTENCY_KEY="t")
    assert first.status_code == again.status_code == 200 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert IdempotencyKey.objects.filter(key="t", principal=f"user:{owner.pk}").count() == 1


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="concurrent claims need PostgreSQL; CI runs this on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_simultaneous_retries_with_one_key_record_once(org, gym, terminal):
    bea = gym_member(org, "Bea")
    barrier = threading.Barrier(8)
    answers, lock = [], threading.Lock()

    def retry():
        try:
            barrier.wait(timeout=10)
            response = scan(terminal, bea, "same")
        finally:
            connection.close()
        with lock:
            answers.append((response.status_code, response.json().get("code"), response.has_header("Retry-After")))

    threads = [threading.Thread(target=retry) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(answers) == 8
    assert answers == [(201, None, False)] * 8  # each retry waited for the first result and replayed it
    assert CheckIn.objects.count() == 1 and Refusal.objects.count() == 0
    assert scan(terminal, bea, "same").status_code == 201  # and a later retry replays it


def test_a_retry_waits_for_a_running_first_request_only_so_long(org, owner, owner_client, monkeypatch):
    from organizations import idempotency
    from staff.models import Staff

    Staff.objects.create(organization=org, user=owner, first_name="O")
    monkeypatch.setattr(idempotency, "FIRST_RESULT_WAIT", timedelta(seconds=0.2))
    # A first request that claimed the key and is still running (no answer stored yet).
    IdempotencyKey.objects.create(organization=org, principal=f"user:{owner.pk}", key="k",
                                  fingerprint=idempotency.fingerprint("POST", "/api/staff/acme/clock/", {}))
    response = owner_client.post("/api/staff/acme/clock/", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 409 and response.json()["code"] == "idempotency_key_in_use"
    assert response["Retry-After"] == "1"
    assert not CheckIn.objects.exists()  # the retry ran nothing
