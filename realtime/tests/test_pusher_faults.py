"""Pusher slower than the relay's patience, and stopped mid-stream: the real `pusher` library
against the project's signature-checking Pusher-protocol server (staff/tests/pusher_server.py).

A trigger that times out may still have reached Pusher, so the relay sends it again: Pusher
clients see repeats (at least once), and after dedupe by `event_id` each event once, in sequence
order. The clock requests never wait on Pusher.
"""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from realtime.tests.helpers import deliver_outbox
from staff.models import Staff
from staff.tests.pusher_server import PusherServer

NOON = datetime(2025, 11, 22, 12, 0, tzinfo=UTC)


def use(settings, server) -> None:
    settings.PUSHER_APP_ID, settings.PUSHER_KEY, settings.PUSHER_SECRET = server.app_id, server.key, server.secret
    settings.PUSHER_CLUSTER, settings.PUSHER_HOST, settings.PUSHER_PORT = None, "127.0.0.1", server.port
    settings.PUSHER_SSL, settings.PUSHER_ENABLED, settings.PUSHER_PRIVATE_CHANNELS = False, True, False
    settings.REALTIME_BACKOFF_MAX_SECONDS = 0.2


def clock(client, n, start=0) -> None:
    for i in range(start, start + n):
        with time_machine.travel(NOON + timedelta(minutes=10 * i), tick=False):
            assert client.post("/api/staff/acme/clock/").status_code == 200


def first_copies(events) -> list[int]:
    """Sequences of the first copy of each event, in arrival order (what a client applies)."""
    seen, order = set(), []
    for event in events:
        if event["name"] == "clock-status-updated" and event["data"]["event_id"] not in seen:
            seen.add(event["data"]["event_id"])
            order.append(event["data"]["sequence"])
    return order


@pytest.fixture
def worker_client(worker):
    from tests.fixtures import client_for

    return client_for(worker)


@pytest.fixture
def worker_on_staff(org, worker):
    return Staff.objects.create(organization=org, user=worker, first_name="Wanda", last_name="Worker")


def test_a_pusher_slower_than_the_timeout_gets_repeats_that_dedupe_to_each_event_once_in_order(
        settings, worker_client, worker_on_staff):
    with PusherServer() as server:
        use(settings, server)
        settings.PUSHER_TIMEOUT_SECONDS = 0.3
        server.delay = 0.6  # each answer comes after the relay gave up on it, yet the event was accepted
        clock(worker_client, 4)
        assert server.attempts == 0  # the requests never talk to Pusher
        threading.Timer(2.5, lambda: setattr(server, "delay", 0.0)).start()
        deliver_outbox(timeout=30)
    events = [e for e in server.events if e["name"] == "clock-status-updated"]
    assert len(events) > 4  # repeats: the relay resent what timed out (at least once)
    assert first_copies(events) == [1, 2, 3, 4]


def test_pusher_stopped_mid_stream_then_back_gets_every_event_once_in_order(settings, worker_client, worker_on_staff):
    with PusherServer() as first:
        use(settings, first)
        clock(worker_client, 2)
        deliver_outbox()
        port = first.port
    clock(worker_client, 3, start=2)  # Pusher is down: connections refused
    deliver_outbox(timeout=1.0)  # the relay tries, backs off, and keeps them
    with PusherServer(port=port) as second:  # back on the same address
        deliver_outbox()
    assert first_copies(first.events + second.events) == [1, 2, 3, 4, 5]
    assert first_copies(second.events) == [3, 4, 5]  # the stopped one got none of those
