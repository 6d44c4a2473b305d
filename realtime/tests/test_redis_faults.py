"""Clocks and screens while the Redis under them is killed, restarted and frozen (SIGSTOP).

Real parts: a redis-server of the test's own (the channel layer and the cache), the app served by
uvicorn (`asgi_live_server`, with the relay running inside it), clock requests over HTTP and a
screen on `/ws/hotel/<slug>/` that follows static/js/live.js's rule ("Live" only while the relay's
heartbeat is at most interval + margin old, otherwise reopen the socket). It checks that every
clock request answers 200 within a second and is committed whatever Redis does, that the screen
stops being "Live" within interval + margin of its feed dying, and that after recovery every event
reached the screen, in sequence order after dedupe, or was covered by the re-fetch the screen makes
when heartbeats resume (Redis pub/sub drops what is published while a subscriber is away).

Runs in the PostgreSQL + Redis configuration (`REDIS_URL` set), skipped on SQLite.
"""

import asyncio
import json
import threading
import time

import pytest
import requests
from django.conf import settings as django_settings
from rest_framework.authtoken.models import Token

from organizations.services import device_key_create
from realtime.models import OutboxEvent
from realtime.tests.processes import RedisProcess, wait_until
from staff.models import Staff

pytestmark = [pytest.mark.redis, pytest.mark.skipif(
    not django_settings.REDIS_URL, reason="fault tests run with Redis (REDIS_URL): the Redis layer and cache"
)]

HEARTBEAT, MARGIN = 0.5, 1.5  # the test's heartbeat interval, and live.js's margin


@pytest.fixture
def fault_redis(tmp_path, settings):
    """A Redis of the test's own as the channel layer and the cache, with the settings' cache options."""
    from channels.layers import channel_layers

    server = RedisProcess(tmp_path).start()
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                                           "CONFIG": {"hosts": [{"address": server.url}], "prefix": "faults"}}}
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": server.url}}
    settings.REALTIME_HEARTBEAT_SECONDS = HEARTBEAT
    settings.REALTIME_BACKOFF_MAX_SECONDS = 1.0
    channel_layers.backends.clear()
    yield server
    server.stop()


class Screen(threading.Thread):
    """A screen on its own event loop: records events and heartbeats, reopens a silent socket."""

    def __init__(self, url: str, origin: str):
        super().__init__(daemon=True)
        self.url, self.origin = url, origin
        self.events: list[tuple[str, int, float]] = []  # (event_id, sequence, arrival)
        self.beats: list[float] = []
        self.resyncs: list[float] = []  # when live.js would re-fetch the snapshot
        self.stopping = threading.Event()

    def run(self):
        asyncio.run(self.main())

    async def main(self):
        import websockets

        while not self.stopping.is_set():
            try:
                async with websockets.connect(self.url, origin=self.origin, open_timeout=3, ping_interval=None) as ws:
                    self.resyncs.append(time.monotonic())
                    last = time.monotonic()
                    while not self.stopping.is_set():
                        try:
                            raw = await asyncio.wait_for(ws.recv(), max(0.05, last + HEARTBEAT + MARGIN - time.monotonic()))
                        except TimeoutError:
                            break  # stale: reopen, as live.js does
                        now, message = time.monotonic(), json.loads(raw)
                        if message["event"] == "heartbeat":
                            if self.beats and now - self.beats[-1] > HEARTBEAT + MARGIN:
                                self.resyncs.append(now)  # heartbeats resumed
                            self.beats.append(now)
                            last = now
                        elif message["event"] == "clock-status-updated":
                            self.events.append((message["data"]["event_id"], message["data"]["sequence"], now))
            except Exception:
                pass
            await asyncio.sleep(0.2)

    def live(self) -> bool:
        return bool(self.beats) and time.monotonic() - self.beats[-1] <= HEARTBEAT + MARGIN


def clock(server, token) -> float:
    started = time.monotonic()
    response = requests.post(f"{server}/api/staff/acme/clock/", headers={"Authorization": f"Token {token}"}, timeout=10)
    took = time.monotonic() - started
    assert response.status_code == 200, response.text
    return took


def test_clocks_answer_within_a_second_and_screens_catch_up_while_redis_is_killed_and_frozen(
        fault_redis, asgi_live_server, org, worker):
    org.settings = {"duplicate_scan_seconds": 0}
    org.save()
    staff = Staff.objects.create(organization=org, user=worker, first_name="Wanda", last_name="Worker")
    _, display_key = device_key_create(organization=org, name="Lobby TV", kind="display")
    token = Token.objects.create(user=worker).key
    screen = Screen(f"{asgi_live_server.ws_url}/ws/hotel/acme/?key={display_key}", asgi_live_server.url)
    screen.start()
    took: list[float] = []
    committed: list[float] = []  # when each clock had answered (so was committed)

    def clocks(n):
        for _ in range(n):
            took.append(clock(asgi_live_server, token))
            committed.append(time.monotonic())

    # The suite's schema check builds the OpenAPI document on the server's first answer: not timed.
    requests.get(f"{asgi_live_server}/api/staff/acme/board/", headers={"Authorization": f"Device {display_key}"},
                 timeout=60).raise_for_status()
    try:
        wait_until(screen.live, 15, "the screen to be live")
        clocks(2)
        wait_until(lambda: len(screen.events) >= 2, 10, "the first events on the screen")

        for fault, recover in ((fault_redis.kill, fault_redis.start), (fault_redis.freeze, fault_redis.thaw)):
            fault()
            dead_at = time.monotonic()
            clocks(3)
            time.sleep(max(0.0, dead_at + 1.0 - time.monotonic()))  # what was on its way has arrived
            last_beat = screen.beats[-1]
            time.sleep(max(0.0, max(last_beat, dead_at) + HEARTBEAT + MARGIN + 0.3 - time.monotonic()))
            assert not screen.live(), "the screen still shows Live with its feed dead"
            assert screen.beats[-1] == last_beat  # no heartbeat crossed the dead Redis
            recover()
            wait_until(screen.live, 20, "heartbeats to resume")
            clocks(1)

        wait_until(lambda: not OutboxEvent.objects.filter(layer_sent_at__isnull=True).exists(), 20,
                   "the relay to deliver every event")
        time.sleep(HEARTBEAT)
    finally:
        screen.stopping.set()
        screen.join(timeout=10)

    assert max(took) < 1.0, [round(t, 3) for t in took]
    sent = list(OutboxEvent.objects.filter(channel="hotel-acme", event="clock-status-updated").order_by("sequence"))
    assert len(sent) == len(took) == 10  # every clock committed its event
    staff.refresh_from_db()
    assert staff.is_on_duty is False  # ten toggles

    seen, order = set(), []
    for event_id, sequence, _ in screen.events:
        if event_id not in seen:
            seen.add(event_id)
            order.append(sequence)
    assert order == sorted(order), order  # in sequence order after dedupe
    for event, at in zip(sent, committed):
        covered = str(event.event_id) in seen or any(r >= at - 0.05 for r in screen.resyncs)
        assert covered, f"event #{event.sequence} neither reached the screen nor was re-fetched"
    # On the wire: the events clocked while Redis was up, and most of the others once it was back.
    assert len(seen) >= 4


@pytest.fixture
def quick_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.parametrize("fault", ["kill", "freeze"])
def test_a_dead_or_frozen_cache_costs_a_request_little_throttles_fail_open_webhooks_fail_closed(
        fault_redis, fault, settings, quick_hashing, owner, org):
    import hashlib
    import hmac

    from rest_framework.test import APIClient

    settings.WEBHOOK_SECRET = "whsec-faults"
    client = APIClient()
    client.post("/api/v1/auth/token/", {"username": "owner", "password": "nope"}, format="json")  # warm-up
    getattr(fault_redis, fault)()
    took = []

    def timed(response):
        took.append(time.monotonic() - started)
        return response

    started = time.monotonic()
    signed_in = timed(client.post("/api/v1/auth/token/", {"username": "owner", "password": "pw-123456"}, format="json"))
    assert signed_in.status_code == 200, signed_in.content  # the sign-in throttles let it through
    started = time.monotonic()
    wrong = timed(client.post("/api/v1/auth/token/", {"username": "owner", "password": "nope"}, format="json"))
    assert wrong.status_code == 400  # the password is still checked

    raw, timestamp = json.dumps({"organization": org.slug}).encode(), str(int(time.time()))
    signature = "sha256=" + hmac.new(b"whsec-faults", timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    started = time.monotonic()
    hook = timed(client.post("/api/v1/gym/webhooks/streak-reset", raw, content_type="application/json",
                             HTTP_X_GYM_TIMESTAMP=timestamp, HTTP_X_GYM_SIGNATURE=signature))
    # Its replay marker cannot be recorded: refused, not run (a captured request could be replayed).
    assert hook.status_code == 503 and hook.json()["code"] == "cache_unavailable", hook.content
    assert hook["Retry-After"]
    assert max(took) < 1.0, took  # each cache call gives up after CACHE_TIMEOUT_SECONDS
