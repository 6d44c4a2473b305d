"""Run the relay inside a test: on the test's own event loop (`running_relay`), or until the outbox is delivered."""

import asyncio
import time
from contextlib import asynccontextmanager

from asgiref.sync import async_to_sync, sync_to_async
from django.db.models import Q

from realtime.models import OutboxEvent
from realtime.relay import Relay, targets_configured


@asynccontextmanager
async def running_relay(**kwargs):
    relay = Relay(**kwargs)
    task = asyncio.create_task(relay.run())
    try:
        yield relay
    finally:
        relay.stop()
        await task


def undelivered(targets=None) -> int:
    pending = Q(sequence__isnull=True)
    for target in targets or targets_configured():
        pending |= Q(**{f"{target}_sent_at__isnull": True})
    return OutboxEvent.objects.filter(pending).count()


def deliver_outbox(*, timeout: float = 10.0, targets=None, until=None) -> Relay:
    """Run a relay until every recorded event reached every target, or until `until()` is true
    (a check that runs in a thread), or `timeout`; return the relay."""
    done = until or (lambda: not undelivered(targets))

    async def main():
        async with running_relay(targets=targets) as relay:
            deadline = time.monotonic() + timeout
            while not await sync_to_async(done)() and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
        return relay

    return async_to_sync(main)()


async def receive_event(communicator, timeout: float = 5.0) -> dict:
    """The next message of a WebSocket that is not the relay's heartbeat or the consumer's hello."""
    while True:
        message = await communicator.receive_json_from(timeout=timeout)
        if message["event"] not in ("heartbeat", "hello"):
            return message
