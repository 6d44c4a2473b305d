"""Live delivery: the exact event after commit, nothing on rollback, and the hotel's WebSocket."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.db import transaction

from config.asgi import application
from organizations.services import device_key_create
from realtime.models import OutboxEvent
from realtime.tests.helpers import deliver_outbox, receive_event, running_relay
from staff import services
from staff.models import Staff

NOON = datetime(2025, 11, 22, 14, 30, tzinfo=UTC)


SEVEN_KEYS = ("user_id", "staff_id", "is_on_duty", "clock_time", "first_name", "last_name", "action")


def seven(payload):
    return {key: payload[key] for key in SEVEN_KEYS}


@time_machine.travel(NOON, tick=False)
def test_clock_records_the_exact_event_and_the_relay_delivers_it(listen, worker_client, worker_staff, worker):
    drain = listen("hotel-acme")
    worker_client.post("/api/staff/acme/clock/")
    assert drain() == []  # the request never talks to the channel layer
    (recorded,) = OutboxEvent.objects.filter(channel="hotel-acme")
    deliver_outbox()
    events = [m for m in drain() if m["event"] == "clock-status-updated"]
    assert events == [{
        "type": "broadcast.event",
        "event": "clock-status-updated",
        "data": {"user_id": worker.pk, "staff_id": worker_staff.pk, "is_on_duty": True,
                    "clock_time": "2025-11-22T14:30:00.000Z", "first_name": "Wanda", "last_name": "Worker",
                    "action": "clock_in", "event_id": str(recorded.event_id), "sequence": 1},
    }]

    with time_machine.travel(NOON + timedelta(hours=1), tick=False):
        worker_client.post("/api/staff/acme/clock/")
    deliver_outbox()
    (out,) = [m["data"] for m in drain() if m["event"] == "clock-status-updated"]
    assert out["action"] == "clock_out" and out["is_on_duty"] is False and out["sequence"] == 2
    assert out["clock_time"] == "2025-11-22T15:30:00.000Z"


def test_staff_without_a_login_are_sent_with_user_id_null(listen, hotel):
    """`user_id` is the staff member's login account, or null when they have none (they clock at a
    kiosk or are clocked by a manager); `staff_id` always identifies them (docs/staff.md)."""
    porter = Staff.objects.create(organization=hotel, first_name="Pat", last_name="Porter")
    drain = listen("hotel-acme")
    services.staff_clock_toggle(staff=porter)
    deliver_outbox()
    (payload,) = [m["data"] for m in drain() if m["event"] == "clock-status-updated"]
    assert seven(payload)["user_id"] is None and payload["staff_id"] == porter.pk and payload["is_on_duty"] is True


def test_a_rolled_back_clock_records_nothing_and_changes_nothing(listen, worker_staff):
    drain = listen("hotel-acme")
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            services.staff_clock_toggle(staff=worker_staff)
            raise RuntimeError("the caller failed after clocking")
    assert not OutboxEvent.objects.exists()
    deliver_outbox()
    assert drain() == []
    worker_staff.refresh_from_db()
    assert not worker_staff.is_on_duty and not worker_staff.session_active


def test_engine_force_check_out_keeps_is_on_duty_in_step(listen, worker_staff, owner):
    from attendance.services import force_check_out

    result = services.staff_clock_in(staff=worker_staff, at=datetime.now(UTC) - timedelta(hours=1))
    deliver_outbox()
    drain = listen("hotel-acme")
    force_check_out(check_in=result.check_in, actor=owner, reason="closing the shift")
    deliver_outbox()
    worker_staff.refresh_from_db()
    assert not worker_staff.is_on_duty and worker_staff.last_clock_out is not None
    assert [m["data"]["action"] for m in drain() if m["event"] == "clock-status-updated"] == ["clock_out"]


# --- the consumer -------------------------------------------------------------------------------


def _session_cookie(user):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def _communicator(path, cookie=None):
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def _connect(path, cookie=None):
    communicator = _communicator(path, cookie)
    connected, code = await communicator.connect()
    return communicator, connected, code


@pytest.mark.django_db(transaction=True)
def test_websocket_admits_the_hotels_users_and_display_keys_only(hotel, worker, outsider, other_org):
    Staff.objects.create(organization=hotel, user=worker, first_name="Wanda", last_name="Worker")
    _, display_key = device_key_create(organization=hotel, name="Lobby TV", kind="display")
    _, kiosk_key = device_key_create(organization=hotel, name="Kiosk", kind="kiosk")
    _, other_key = device_key_create(organization=other_org, name="Their TV", kind="display")
    cases = [
        ("/ws/hotel/acme/", _session_cookie(worker), True),
        (f"/ws/hotel/acme/?key={display_key}", None, True),
        ("/ws/hotel/acme/", _session_cookie(outsider), False),
        ("/ws/hotel/acme/", None, False),
        (f"/ws/hotel/acme/?key={kiosk_key}", None, False),
        (f"/ws/hotel/acme/?key={other_key}", None, False),
        ("/ws/hotel/acme/?key=dk_wrong", None, False),
        ("/ws/hotel/nowhere/", _session_cookie(worker), False),
    ]

    async def run():
        results = []
        for path, cookie, _ in cases:
            communicator, connected, code = await _connect(path, cookie)
            results.append(connected)
            if not connected:
                assert code == 4403
            await communicator.disconnect()
        return results

    assert async_to_sync(run)() == [expected for *_, expected in cases]


@pytest.mark.django_db(transaction=True)
def test_websocket_receives_the_clock_event_and_answers_pings(hotel, worker):
    staff = Staff.objects.create(organization=hotel, user=worker, first_name="Wanda", last_name="Worker")
    _, display_key = device_key_create(organization=hotel, name="Lobby TV", kind="display")

    async def run():
        from channels.db import database_sync_to_async

        tv, connected, _ = await _connect(f"/ws/hotel/acme/?key={display_key}")
        assert connected
        phone, connected, _ = await _connect("/ws/hotel/acme/", await database_sync_to_async(_session_cookie)(worker))
        assert connected
        assert await tv.receive_json_from() == {"event": "hello", "data": {"sequence": 0}}
        await tv.send_json_to({"type": "ping"})
        assert await tv.receive_json_from() == {"event": "pong", "data": {}}
        await tv.send_json_to({"type": "clock", "staff_id": staff.pk})  # the socket never writes
        assert await tv.receive_nothing(0.2)
        async with running_relay(targets=["layer"]):
            result = await database_sync_to_async(services.staff_clock_toggle)(staff=staff)
            expected = {"user_id": worker.pk, "staff_id": staff.pk, "is_on_duty": True,
                        "clock_time": result.clock_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.")
                        + f"{result.clock_time.microsecond // 1000:03d}Z",
                        "first_name": "Wanda", "last_name": "Worker", "action": "clock_in"}
            on_tv, on_phone = await receive_event(tv), await receive_event(phone)
        assert on_tv == on_phone
        assert on_tv["event"] == "clock-status-updated" and seven(on_tv["data"]) == expected
        assert on_tv["data"]["sequence"] == 1 and on_tv["data"]["event_id"]
        await tv.disconnect()
        await phone.disconnect()

    async_to_sync(run)()
    staff.refresh_from_db()
    assert staff.is_on_duty


@pytest.mark.django_db(transaction=True)
def test_screens_get_the_relays_heartbeat(hotel, settings):
    settings.REALTIME_HEARTBEAT_SECONDS = 0.2
    _, display_key = device_key_create(organization=hotel, name="Lobby TV", kind="display")

    async def run():
        tv, connected, _ = await _connect(f"/ws/hotel/acme/?key={display_key}")
        assert connected
        assert (await tv.receive_json_from())["event"] == "hello"
        assert await tv.receive_nothing(0.3)  # no relay, no heartbeat: the screen must not say "Live"
        async with running_relay(targets=["layer"]):
            beats = [await tv.receive_json_from(timeout=2) for _ in range(3)]
        await tv.disconnect()
        return beats

    beats = async_to_sync(run)()
    assert [b["event"] for b in beats] == ["heartbeat"] * 3
    assert all(b["data"]["interval"] == 0.2 and b["data"]["at"] for b in beats)
