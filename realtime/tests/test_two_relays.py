"""Two relays on one outbox (a failover pair, or a second one started by mistake): real
`manage.py relay` processes on PostgreSQL and a Redis of the test's own.

One relay per target is enough (docs/adr-001-outbox.md); a second one must be harmless: each event
gets exactly one sequence number (the channel row's lock), every event reaches a screen's group, and
after dedupe by `event_id` each channel's events arrive in sequence order. What a pair may do is
send an event twice.
"""

import asyncio
import json
import re
import subprocess
import sys
import time

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.db import connection, transaction

from realtime.models import OutboxEvent
from realtime.services import outbox_record
from realtime.tests.processes import RedisProcess, child_env, wait_for_log, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

CHANNELS = ["hotel-one", "hotel-two"]
EVENTS_PER_CHANNEL = 60
PREFIX = "two-relays"


@pytest.fixture
def redis_layer(tmp_path, settings):
    from channels.layers import channel_layers

    server = RedisProcess(tmp_path).start()
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                                           "CONFIG": {"hosts": [{"address": server.url}], "prefix": PREFIX}}}
    channel_layers.backends.clear()
    yield server
    server.stop()


@pytest.fixture
def two_relays(redis_layer, transactional_db, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("two relay processes share the test database only on PostgreSQL")
    params = connection.settings_dict
    url = f"postgres://{params['USER']}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{params['NAME']}"
    env = child_env(DATABASE_URL=url, REDIS_URL=redis_layer.url, CHANNELS_PREFIX=PREFIX, LOG_LEVEL="INFO",
                    PUSHER_APP_ID="", PUSHER_KEY="", PUSHER_SECRET="")
    processes = []
    for n in (1, 2):
        log = tmp_path / f"relay{n}.log"
        with open(log, "w") as out:
            process = subprocess.Popen([sys.executable, "manage.py", "relay"], stdout=out, stderr=subprocess.STDOUT,
                                       env=env)
        processes.append((process, log))
    try:
        for process, log in processes:
            wait_for_log(log, "relay started", 60, process=process)
        yield processes
    finally:
        for process, _ in processes:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def test_two_relays_number_each_event_once_and_screens_get_every_event_in_order(two_relays):
    layer = get_channel_layer()

    async def subscribe():
        name = await layer.new_channel()
        for channel in CHANNELS:
            await layer.group_add(channel, name)
        return name

    async def collect(name, expected):
        got = []
        seen = set()
        deadline = time.monotonic() + 30
        while len(seen) < expected and time.monotonic() < deadline:
            try:
                message = await asyncio.wait_for(layer.receive(name), 1.0)
            except TimeoutError:
                continue
            if message["type"] == "broadcast.event":
                data = json.loads(message["text"])["data"]
                got.append(data)
                seen.add(data["event_id"])
        return got

    async def scenario():
        name = await subscribe()
        await asyncio.sleep(0.3)
        # Many small transactions, interleaved across channels, while both relays run.
        for i in range(EVENTS_PER_CHANNEL):
            for channel in CHANNELS:
                await sync_to_async(record)(channel, i)
        return await collect(name, EVENTS_PER_CHANNEL * len(CHANNELS))

    got = async_to_sync(scenario)()

    wait_until(lambda: not OutboxEvent.objects.filter(layer_sent_at__isnull=True).exists(), 20, "every event marked")
    for channel in CHANNELS:
        sequences = sorted(OutboxEvent.objects.filter(channel=channel).values_list("sequence", flat=True))
        assert sequences == list(range(1, EVENTS_PER_CHANNEL + 1))  # one number each, no gap
    rows = {str(e.event_id): e for e in OutboxEvent.objects.all()}
    seen, order = set(), {channel: [] for channel in CHANNELS}
    for payload in got:
        if payload["event_id"] in seen:
            continue
        seen.add(payload["event_id"])
        row = rows[payload["event_id"]]
        assert payload["sequence"] == row.sequence
        order[row.channel].append(payload["sequence"])
    assert seen == set(rows)  # every event reached the screen's group
    for channel in CHANNELS:
        assert order[channel] == list(range(1, EVENTS_PER_CHANNEL + 1)), order[channel]  # in order after dedupe
    delivered = []
    for process, log in two_relays:
        assert process.poll() is None, log.read_text()[-2000:]
        process.terminate()
        process.wait(timeout=20)
        delivered.append(int(re.search(r"delivered \{'layer': (\d+)\}", log.read_text()).group(1)))
    assert sum(delivered) >= len(rows)  # at least once between them; what one sends twice is deduped

def record(channel: str, i: int) -> None:
    with transaction.atomic():
        outbox_record(events=[(channel, "test-event", {"n": i})])
