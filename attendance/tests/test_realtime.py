"""The organization WebSocket: who may connect, and the events the engine broadcasts after commit."""

import gc
import os
import socket
import threading

import pytest
import redis
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from attendance import services
from config.asgi import application
from organizations import realtime
from organizations.services import device_key_create

pytestmark = pytest.mark.django_db(transaction=True)


def session_headers(user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"].value
    return [(b"cookie", f"sessionid={cookie}".encode()), (b"origin", b"http://localhost")]


async def connect(path, headers):
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def _check_in_and_receive(org, member, headers):
    communicator, connected, _ = await connect(f"/ws/org/{org.slug}/", headers)
    assert connected
    await database_sync_to_async(services.check_in)(organization=org, attendee=member, location="Door")
    first = await communicator.receive_json_from(timeout=5)
    second = await communicator.receive_json_from(timeout=5)
    await communicator.disconnect()
    return first, second


def test_member_of_the_organization_receives_check_in_and_occupancy(org, owner, member):
    first, second = async_to_sync(_check_in_and_receive)(org, member, session_headers(owner))
    assert first["event"] == "check_in.recorded"
    assert first["data"]["attendee_id"] == member.pk
    assert first["data"]["name"] == "Ada Lovelace"
    assert first["data"]["location"] == "Door"
    assert second == {"event": "occupancy.changed", "data": {"total": 1, "by_location": {"Door": 1}, "at": second["data"]["at"]}}


def test_display_key_screen_may_connect(org, member):
    _, raw_key = device_key_create(organization=org, name="Lobby TV", kind="display")

    async def scenario():
        communicator, connected, _ = await connect(f"/ws/org/{org.slug}/?key={raw_key}", [(b"origin", b"http://localhost")])
        await communicator.send_json_to({"type": "ping"})
        reply = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return connected, reply

    connected, reply = async_to_sync(scenario)()
    assert connected
    assert reply["event"] == "pong"


@pytest.mark.parametrize("who", ["anonymous", "outsider", "wrong_key"])
def test_others_are_turned_away(org, outsider, who):
    headers = [(b"origin", b"http://localhost")]
    path = f"/ws/org/{org.slug}/"
    if who == "outsider":
        headers = session_headers(outsider)
    if who == "wrong_key":
        path += "?key=dk_not_a_key"

    async def scenario():
        communicator, connected, code = await connect(path, headers)
        return connected, code

    connected, code = async_to_sync(scenario)()
    assert not connected
    assert code == 4403


def test_a_failing_channel_layer_never_fails_the_check_in(owner_client, member, settings, caplog):
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": "redis://127.0.0.1:1/0"}]},  # nothing listens on port 1
        }
    }
    channel_layers.backends.clear()
    response = owner_client.post("/api/v1/check-ins/", {"attendee_id": member.pk}, format="json")
    assert response.status_code == 201
    member.refresh_from_db()
    assert member.session_active
    assert any("broadcast to group org-acme failed" in r.getMessage() for r in caplog.records)


def test_a_redis_that_never_answers_costs_the_check_in_a_bounded_wait(owner_client, member, settings, caplog):
    """A Redis that accepts connections and then says nothing: the publish gives up after
    SEND_TIMEOUT_SECONDS, is logged, and the check-in stands."""
    from channels.layers import channel_layers

    silent = socket.create_server(("127.0.0.1", 0))
    accepted = []
    threading.Thread(target=lambda: [accepted.append(silent.accept()) for _ in range(4)], daemon=True).start()
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": f"redis://127.0.0.1:{silent.getsockname()[1]}/0"}]},
        }
    }
    channel_layers.backends.clear()
    try:
        response = owner_client.post("/api/v1/check-ins/", {"attendee_id": member.pk}, format="json")
    finally:
        silent.close()
    assert response.status_code == 201
    member.refresh_from_db()
    assert member.session_active
    failures = [r for r in caplog.records if "broadcast to group org-acme failed" in r.getMessage()]
    assert failures and all(isinstance(r.exc_info[1], redis.TimeoutError) for r in failures)
    assert accepted  # it did reach the silent server


def test_broadcasts_to_a_redis_that_never_answers_wait_side_by_side(settings, caplog):
    """Threads broadcasting while Redis says nothing each wait out their own timeout at the same
    time; none queues behind another's wait (the publisher connects outside its lock)."""
    from channels.layers import channel_layers

    silent = socket.create_server(("127.0.0.1", 0))
    state = {"open": 0, "most": 0}
    lock = threading.Lock()

    def hold(conn):
        with lock:
            state["open"] += 1
            state["most"] = max(state["most"], state["open"])
        while conn.recv(4096):  # until the client gives up and closes
            pass
        with lock:
            state["open"] -= 1

    def serve():
        for _ in range(4):
            conn, _ = silent.accept()
            threading.Thread(target=hold, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": f"redis://127.0.0.1:{silent.getsockname()[1]}/0"}]},
        }
    }
    channel_layers.backends.clear()
    senders = [
        threading.Thread(target=realtime.send_to_group, args=("org-acme", "test.seq", {"seq": i})) for i in range(4)
    ]
    try:
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(timeout=10)
    finally:
        silent.close()
    assert not any(sender.is_alive() for sender in senders)
    assert state["most"] == 4  # all four connections were waiting at once
    failures = [r for r in caplog.records if "broadcast to group org-acme failed" in r.getMessage()]
    assert failures and all(isinstance(r.exc_info[1], redis.TimeoutError) for r in failures)


def test_check_out_is_broadcast_too(org, owner, member):
    headers = session_headers(owner)

    async def scenario():
        communicator, connected, _ = await connect(f"/ws/org/{org.slug}/", headers)
        assert connected
        await database_sync_to_async(services.check_in)(organization=org, attendee=member)
        await communicator.receive_json_from(timeout=5)
        await communicator.receive_json_from(timeout=5)
        await database_sync_to_async(services.check_out)(organization=org, attendee=member)
        events = [await communicator.receive_json_from(timeout=5) for _ in range(2)]
        await communicator.disconnect()
        return events

    closed, occupancy = async_to_sync(scenario)()
    assert closed["event"] == "check_out.recorded"
    assert closed["data"]["attendee_id"] == member.pk
    assert closed["data"]["checked_out_at"] is not None
    assert occupancy["event"] == "occupancy.changed"
    assert occupancy["data"]["total"] == 0


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="the window needs a shared (Redis) channel layer; CI runs this on PostgreSQL + Redis")
def test_occupancy_events_are_folded_within_the_window(org, owner, settings):
    """A burst of check-ins gives one occupancy event at once and one at the window's end, with the
    count after the last check-in; every check-in still has its own check_in.recorded."""
    from attendance.models import Member

    settings.ATTENDANCE_OCCUPANCY_BROADCAST_MS = 400
    members = [Member.objects.create(organization=org, first_name=f"M{i}", last_name="Burst") for i in range(4)]
    headers = session_headers(owner)

    async def scenario():
        communicator, connected, _ = await connect(f"/ws/org/{org.slug}/", headers)
        assert connected
        for member in members:
            await database_sync_to_async(services.check_in)(organization=org, attendee=member)
        # 4 check_in.recorded, the leading occupancy event, and the trailing one ~400 ms later.
        events = [await communicator.receive_json_from(timeout=3) for _ in range(6)]
        quiet = await communicator.receive_nothing(timeout=1)
        await communicator.disconnect()
        return events, quiet

    events, quiet = async_to_sync(scenario)()
    assert quiet, "no event after the trailing occupancy event"
    recorded = [e["data"]["attendee_id"] for e in events if e["event"] == "check_in.recorded"]
    occupancy = [e["data"]["total"] for e in events if e["event"] == "occupancy.changed"]
    assert recorded == [m.pk for m in members]
    assert occupancy == [1, 4]


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="the window needs a shared (Redis) channel layer; CI runs this on PostgreSQL + Redis")
def test_trailing_occupancy_events_share_one_database_connection(org, owner, settings):
    """Three windows with a trailing event each: every trailing event arrives with the right count,
    and all three are read over one database connection (opened once, by the sender thread)."""
    from django.db.backends.signals import connection_created

    from attendance.models import Member

    settings.ATTENDANCE_OCCUPANCY_BROADCAST_MS = 300
    members = [Member.objects.create(organization=org, first_name=f"W{i}", last_name="Window") for i in range(6)]
    headers = session_headers(owner)
    opened_by, checked_in_by = [], set()

    def on_connection(sender, connection, **kwargs):
        opened_by.append(threading.current_thread().name)

    def check_in(member):
        checked_in_by.add(threading.current_thread().name)
        services.check_in(organization=org, attendee=member)

    async def scenario():
        communicator, connected, _ = await connect(f"/ws/org/{org.slug}/", headers)
        assert connected
        totals = []
        for window in range(3):
            for member in members[2 * window: 2 * window + 2]:  # two changes inside one window
                await database_sync_to_async(check_in)(member)
            events = [await communicator.receive_json_from(timeout=3) for _ in range(4 if window == 0 else 3)]
            totals.append([e["data"]["total"] for e in events if e["event"] == "occupancy.changed"])
        await communicator.disconnect()
        return totals

    connection_created.connect(on_connection)
    try:
        totals = async_to_sync(scenario)()
    finally:
        connection_created.disconnect(on_connection)
    # Window 1: the leading event (1) and the trailing one (2); later windows open inside the
    # previous window's trailing period, so each gives one trailing event with the count after it.
    assert totals == [[1, 2], [4], [6]]
    assert [name for name in opened_by if name not in checked_in_by] == ["occupancy-feed"], opened_by


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the Redis channel layer; CI runs this on PostgreSQL + Redis")
def test_broadcasts_arrive_complete_and_in_order(org, owner):
    """50 events sent back to back from a sync thread reach a screen subscribed through the channel
    layer, all of them, in the order they were sent."""
    headers = session_headers(owner)

    def burst():
        for seq in range(50):
            realtime.send_to_group(realtime.organization_channel(org.slug), "test.seq", {"seq": seq})

    async def scenario():
        communicator, connected, _ = await connect(f"/ws/org/{org.slug}/", headers)
        assert connected
        await database_sync_to_async(burst)()
        events = [await communicator.receive_json_from(timeout=5) for _ in range(50)]
        await communicator.disconnect()
        return events

    events = async_to_sync(scenario)()
    assert [e["event"] for e in events] == ["test.seq"] * 50
    assert [e["data"]["seq"] for e in events] == list(range(50))


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the Redis channel layer; CI runs this on PostgreSQL + Redis")
def test_the_publisher_keeps_one_connection_and_reconnects_when_redis_drops_it(org, owner, caplog):
    """Every event from a process goes over the one connection its publisher holds; when Redis
    closes that connection (a restart, a CLIENT KILL), the next event reconnects and still arrives."""
    headers = session_headers(owner)
    group = realtime.organization_channel(org.slug)
    admin = redis.Redis.from_url(os.environ["REDIS_URL"])
    gc.collect()  # publishers of channel layers that earlier tests replaced close with them

    def publishers():
        return [c for c in admin.client_list() if c["name"] == realtime.client_name()]

    def send(seq):
        realtime.send_to_group(group, "test.seq", {"seq": seq})

    async def scenario():
        communicator, connected, _ = await connect(f"/ws/org/{org.slug}/", headers)
        assert connected
        for seq in range(3):
            await database_sync_to_async(send)(seq)
        before = await database_sync_to_async(publishers)()
        killed = await database_sync_to_async(admin.client_kill_filter)(_id=before[0]["id"]) if before else 0
        await database_sync_to_async(send)(3)
        after = await database_sync_to_async(publishers)()
        events = [await communicator.receive_json_from(timeout=5) for _ in range(4)]
        await communicator.disconnect()
        return before, killed, after, events

    before, killed, after, events = async_to_sync(scenario)()
    assert len(before) == 1, before  # three events, one connection
    assert killed == 1
    assert len(after) == 1 and after[0]["id"] != before[0]["id"]  # a new connection replaced it
    assert [e["data"]["seq"] for e in events] == [0, 1, 2, 3]
    assert not [r for r in caplog.records if "broadcast to group" in r.getMessage()]
