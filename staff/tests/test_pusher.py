"""Pusher through the real `pusher` library against a local server that checks signatures like Pusher.

Clocks record their event in the outbox; the relay triggers it on Pusher, in order, retrying while
Pusher is down, and the clock itself never waits on Pusher.
"""

import hashlib
import hmac
import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from realtime.models import OutboxEvent
from realtime.tests.helpers import deliver_outbox
from staff.tests.pusher_server import PusherServer

NOON = datetime(2025, 11, 22, 12, 0, tzinfo=UTC)
SEVEN_KEYS = {"user_id", "staff_id", "is_on_duty", "clock_time", "first_name", "last_name", "action"}


def configure(settings, server, *, secret=None):
    settings.PUSHER_APP_ID = server.app_id
    settings.PUSHER_KEY = server.key
    settings.PUSHER_SECRET = secret or server.secret
    settings.PUSHER_CLUSTER = None
    settings.PUSHER_HOST = "127.0.0.1"
    settings.PUSHER_PORT = server.port
    settings.PUSHER_SSL = False
    settings.PUSHER_ENABLED = True
    settings.PUSHER_PRIVATE_CHANNELS = False


@pytest.fixture
def pusher_server(settings):
    settings.REALTIME_BACKOFF_MAX_SECONDS = 0.2
    with PusherServer() as server:
        configure(settings, server)
        yield server


def clock_times(client, n):
    """Clock `n` times, ten minutes apart (the duplicate-scan window refuses quicker toggles)."""
    for i in range(n):
        with time_machine.travel(NOON + timedelta(minutes=10 * i), tick=False):
            assert client.post("/api/staff/acme/clock/").status_code == 200


def clock_events(server):
    return [e for e in server.events if e["name"] == "clock-status-updated"]


def test_clock_event_reaches_pusher_with_the_exact_payload(pusher_server, worker_client, worker, worker_staff):
    body = worker_client.post("/api/staff/acme/clock/").json()
    assert pusher_server.events == []  # the request never talks to Pusher
    deliver_outbox()
    (event,) = clock_events(pusher_server)
    assert event["channels"] == ["hotel-acme"]
    data = event["data"]
    assert {k: data[k] for k in SEVEN_KEYS} == {
        "user_id": worker.pk, "staff_id": worker_staff.pk, "is_on_duty": True, "clock_time": body["clock_time"],
        "first_name": "Wanda", "last_name": "Worker", "action": "clock_in"}
    assert set(data) == SEVEN_KEYS | {"event_id", "sequence"}
    assert data["sequence"] == 1 and str(uuid.UUID(data["event_id"])) == data["event_id"]
    assert pusher_server.rejected == []


def test_private_channels_option(pusher_server, settings, worker_client, worker_staff):
    settings.PUSHER_PRIVATE_CHANNELS = True
    worker_client.post("/api/staff/acme/clock/")
    deliver_outbox()
    assert [e["channels"] for e in clock_events(pusher_server)] == [["private-hotel-acme"]]


def test_a_wrong_secret_is_refused_and_the_event_waits(pusher_server, settings, worker_client, worker_staff, caplog):
    settings.PUSHER_SECRET = "not-the-secret"
    assert worker_client.post("/api/staff/acme/clock/").status_code == 200
    with caplog.at_level(logging.WARNING, logger="realtime.relay"):
        deliver_outbox(until=lambda: len(pusher_server.rejected) >= 2 and OutboxEvent.objects.filter(
            layer_sent_at__isnull=False).exists())
    assert pusher_server.events == [] and set(pusher_server.rejected) == {"invalid signature"}
    event = OutboxEvent.objects.get(event="clock-status-updated")
    assert event.layer_sent_at is not None and event.pusher_sent_at is None  # the layer does not wait on Pusher
    settings.PUSHER_SECRET = pusher_server.secret  # fixed: it goes out
    deliver_outbox()
    assert [e["data"]["event_id"] for e in clock_events(pusher_server)] == [str(event.event_id)]


def test_pusher_failing_then_recovering_gets_every_event_once_in_order(pusher_server, worker_client, worker_staff,
                                                                       caplog):
    pusher_server.fail_next = 3
    clock_times(worker_client, 4)
    with caplog.at_level(logging.WARNING, logger="realtime.relay"):
        deliver_outbox()
    events = clock_events(pusher_server)
    assert [e["data"]["action"] for e in events] == ["clock_in", "clock_out", "clock_in", "clock_out"]
    assert [e["data"]["sequence"] for e in events] == [1, 2, 3, 4]
    assert len({e["data"]["event_id"] for e in events}) == 4
    failures = [r.getMessage() for r in caplog.records if "relay (pusher): hotel-acme #1 failed" in r.getMessage()]
    assert len(failures) == 3


def test_pusher_unreachable_does_not_fail_the_clock_and_the_event_goes_out_when_it_is_back(
        settings, worker_client, worker_staff, caplog):
    settings.REALTIME_BACKOFF_MAX_SECONDS = 0.2
    with PusherServer() as server:
        port = server.port  # then closed: connections are refused
    settings.PUSHER_APP_ID, settings.PUSHER_KEY, settings.PUSHER_SECRET = "4242", "test-key", "test-secret"
    settings.PUSHER_CLUSTER, settings.PUSHER_HOST, settings.PUSHER_PORT = None, "127.0.0.1", port
    settings.PUSHER_SSL, settings.PUSHER_ENABLED, settings.PUSHER_PRIVATE_CHANNELS = False, True, False
    assert worker_client.post("/api/staff/acme/clock/").status_code == 200
    worker_staff.refresh_from_db()
    assert worker_staff.is_on_duty
    def retried():
        return any("relay (pusher): hotel-acme #1 failed, will retry" in r.getMessage() for r in caplog.records)

    with caplog.at_level(logging.WARNING, logger="realtime.relay"):
        deliver_outbox(until=retried)
    assert retried()
    with PusherServer() as server:
        settings.PUSHER_PORT = server.port
        deliver_outbox()
        assert [e["data"]["action"] for e in clock_events(server)] == ["clock_in"]


def test_a_slow_pusher_gets_each_event_once(pusher_server, worker_client, worker_staff):
    pusher_server.delay = 0.3
    clock_times(worker_client, 3)
    deliver_outbox()
    assert [e["data"]["sequence"] for e in clock_events(pusher_server)] == [1, 2, 3]
    assert pusher_server.attempts_by_event["clock-status-updated"] == 3


# --- private channel authentication -------------------------------------------------------------


def expected_auth(secret, key, socket_id, channel):
    signature = hmac.new(secret.encode(), f"{socket_id}:{channel}".encode(), hashlib.sha256).hexdigest()
    return {"auth": f"{key}:{signature}"}


def test_private_channel_auth_admits_only_the_hotels_users(pusher_server, settings, worker_client, outsider_client,
                                                           hotel, worker_staff):
    from rest_framework.test import APIClient

    from organizations.services import device_key_create

    settings.PUSHER_PRIVATE_CHANNELS = True
    body = {"socket_id": "123.456", "channel_name": "private-hotel-acme"}
    ok = worker_client.post("/api/staff/acme/pusher/auth/", body)  # form-encoded, as pusher-js sends it
    assert ok.status_code == 200
    assert ok.json() == expected_auth(pusher_server.secret, pusher_server.key, "123.456", "private-hotel-acme")

    assert outsider_client.post("/api/staff/acme/pusher/auth/", body).status_code == 404
    assert outsider_client.post("/api/staff/other/pusher/auth/", body).status_code == 403  # not their channel
    wrong = worker_client.post("/api/staff/acme/pusher/auth/", {**body, "channel_name": "private-hotel-other"})
    assert wrong.status_code == 403 and wrong.json()["code"] == "channel_forbidden"
    assert worker_client.post("/api/staff/acme/pusher/auth/", {**body, "socket_id": "x"}).status_code == 400
    assert APIClient().post("/api/staff/acme/pusher/auth/", body).status_code in (401, 403)

    _, display_key = device_key_create(organization=hotel, name="TV", kind="display")
    tv = APIClient()
    tv.credentials(HTTP_AUTHORIZATION=f"Device {display_key}")
    assert tv.post("/api/staff/acme/pusher/auth/", body).status_code == 200

    settings.PUSHER_PRIVATE_CHANNELS = False
    public = worker_client.post("/api/staff/acme/pusher/auth/", {**body, "channel_name": "hotel-acme"})
    assert public.status_code == 403  # public channels need no auth


def test_auth_endpoint_is_404_when_pusher_is_off(settings, worker_client, worker_staff):
    settings.PUSHER_ENABLED = False
    response = worker_client.post("/api/staff/acme/pusher/auth/", {"socket_id": "1.2", "channel_name": "private-hotel-acme"})
    assert response.status_code == 404 and response.json()["code"] == "pusher_not_configured"
