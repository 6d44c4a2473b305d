"""Live delivery: the exact event after commit, nothing on rollback, and the hotel's WebSocket."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.db import transaction

from config.asgi import application
from organizations.services import device_key_create
from staff import services
from staff.models import Staff

NOON = datetime(2025, 11, 22, 14, 30, tzinfo=UTC)


@time_machine.travel(NOON, tick=False)
def test_clock_sends_the_exact_event_to_the_hotel_group_after_commit(listen, worker_client, worker_staff, worker,
                                                                     django_capture_on_commit_callbacks):
    drain = listen("hotel-acme")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        worker_client.post("/api/staff/acme/clock/")
    assert drain() == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    events = [m for m in drain() if m["event"] == "clock-status-updated"]
    assert events == [{
        "type": "broadcast.event",
        "event": "clock-status-updated",
        "payload": {"user_id": worker.pk, "staff_id": worker_staff.pk, "is_on_duty": True,
                    "clock_time": "2025-11-22T14:30:00.000Z", "first_name": "Wanda", "last_name": "Worker",
                    "action": "clock_in"},
    }]

    with django_capture_on_commit_callbacks(execute=True), time_machine.travel(NOON + timedelta(hours=1), tick=False):
        worker_client.post("/api/staff/acme/clock/")
    (out,) = [m["payload"] for m in drain() if m["event"] == "clock-status-updated"]
    assert out["action"] == "clock_out" and out["is_on_duty"] is False
    assert out["clock_time"] == "2025-11-22T15:30:00.000Z"


def test_a_rolled_back_clock_sends_nothing_and_changes_nothing(listen, worker_staff, django_capture_on_commit_callbacks):
    drain = listen("hotel-acme")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            services.staff_clock_toggle(staff=worker_staff)
            raise RuntimeError("the caller failed after clocking")
    assert drain() == []
    worker_staff.refresh_from_db()
    assert not worker_staff.is_on_duty and not worker_staff.session_active


def test_engine_force_check_out_keeps_is_on_duty_in_step(listen, worker_staff, owner, django_capture_on_commit_callbacks):
    from attendance.services import force_check_out

    result = services.staff_clock_in(staff=worker_staff, at=datetime.now(UTC) - timedelta(hours=1))
    drain = listen("hotel-acme")
    with django_capture_on_commit_callbacks(execute=True):
        force_check_out(check_in=result.check_in, actor=owner, reason="closing the shift")
    worker_staff.refresh_from_db()
    assert not worker_staff.is_on_duty and worker_staff.last_clock_out is not None
    assert [m["payload"]["action"] for m in drain() if m["event"] == "clock-status-updated"] == ["clock_out"]


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
        await tv.send_json_to({"type": "ping"})
        assert await tv.receive_json_from() == {"event": "pong", "data": {}}
        await tv.send_json_to({"type": "clock", "staff_id": staff.pk})  # the socket never writes
        assert await tv.receive_nothing(0.2)
        result = await database_sync_to_async(services.staff_clock_toggle)(staff=staff)
        expected = {"event": "clock-status-updated", "data": {
            "user_id": worker.pk, "staff_id": staff.pk, "is_on_duty": True,
            "clock_time": result.clock_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.")
            + f"{result.clock_time.microsecond // 1000:03d}Z",
            "first_name": "Wanda", "last_name": "Worker", "action": "clock_in"}}
        assert await tv.receive_json_from(timeout=2) == expected
        assert await phone.receive_json_from(timeout=2) == expected
        await tv.disconnect()
        await phone.disconnect()

    async_to_sync(run)()
    staff.refresh_from_db()
    assert staff.is_on_duty
