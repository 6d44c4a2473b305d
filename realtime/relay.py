"""The relay: delivers outbox events to the Channels layer and to Pusher, and beats the heartbeat.

Per target (the layer; Pusher when configured) one loop takes the numbered events it has not
accepted yet, oldest first per channel, sends them one by one and marks what went out. The first
failure stops the batch (so a channel's order holds) and the target waits — 0.5 s doubling to
REALTIME_BACKOFF_MAX_SECONDS, with jitter — before it tries again from the first unmarked event.
A target being down never holds up the other. Delivery is at least once: an event sent just
before a crash, and not yet marked, is sent again; screens and Pusher clients dedupe by
`event_id`.

The layer loop also numbers new events (realtime.services.outbox_assign_sequences), sends the
heartbeat to every screen (group HEARTBEAT_GROUP) every REALTIME_HEARTBEAT_SECONDS while it can
read the outbox and reach the layer, and prunes delivered events.

It wakes on PostgreSQL's NOTIFY (a trigger on the outbox, see the migrations), at once when an
outbox write commits in its own process, and otherwise polls every REALTIME_POLL_SECONDS.

It runs as `manage.py relay` (its own process), or inside the ASGI process when the channel layer
is the in-memory one (realtime.asgi). Database work runs through asgiref's thread-sensitive
executor (one thread, one connection); sends run on the event loop, Pusher's HTTP in a thread pool.

Layer messages carry the WebSocket frame itself, encoded once here: `{"type": "broadcast.event",
"text": '{"event": <name>, "data": <payload with event_id and sequence>}'}` and `{"type":
"relay.heartbeat", "text": '{"event": "heartbeat", "data": {"at": <iso>, "interval": <s>}}'}`; a
consumer writes `text` to its socket as it is (a thousand screens: one encoding, not a thousand).
"""

import asyncio
import json
import logging
import random
from datetime import timedelta

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from organizations.pusher_client import get_pusher
from organizations.realtime import pusher_channel_name
from realtime import wakeup
from realtime.services import outbox_mark_sent, outbox_next_batch, outbox_prune

logger = logging.getLogger(__name__)

HEARTBEAT_GROUP = "realtime-heartbeat"
NOTIFY_CHANNEL = "realtime_outbox"
SEND_TIMEOUT_SECONDS = 2.0
BATCH = 500
PRUNE_EVERY_SECONDS = 60.0


class Backoff:
    """0.5 s doubling to REALTIME_BACKOFF_MAX_SECONDS, each wait between half and all of that."""

    def __init__(self):
        self.failures = 0

    def next(self) -> float:
        ceiling = min(settings.REALTIME_BACKOFF_MAX_SECONDS, 0.5 * 2 ** self.failures)
        self.failures += 1
        return ceiling / 2 + random.random() * ceiling / 2

    def reset(self) -> None:
        self.failures = 0


class PermanentFailure(Exception):
    """The target refused this event for good (a malformed or oversized event): it is skipped."""


def targets_configured() -> list[str]:
    return ["layer", "pusher"] if settings.PUSHER_ENABLED else ["layer"]


def pusher_send(event) -> None:
    import pusher.errors

    try:
        get_pusher().trigger(pusher_channel_name(event.channel), event.event, event.message())
    except (pusher.errors.PusherBadRequest, ValueError) as exc:  # 400, or over Pusher's size limit
        raise PermanentFailure(str(exc)) from exc


class Relay:
    def __init__(self, *, targets: list[str] | None = None):
        self.targets = targets or targets_configured()
        self.wakes: dict[str, asyncio.Event] = {}
        self.stopping = False
        self.listening = False
        self.sent = {target: 0 for target in self.targets}
        self.heartbeats = 0

    def wake(self) -> None:
        for event in self.wakes.values():
            event.set()

    def stop(self) -> None:
        self.stopping = True
        self.wake()

    async def run(self) -> None:
        """Relay until `stop()`; every failure is logged and retried, none ends it."""
        loop = asyncio.get_running_loop()
        self.wakes = {target: asyncio.Event() for target in self.targets}
        self.sequencing = asyncio.Lock()
        for event in self.wakes.values():
            wakeup.register(loop, event)
        tasks = [asyncio.create_task(self._target_loop(target), name=f"relay-{target}") for target in self.targets]
        listener = None
        if connection.vendor == "postgresql":  # the one database-specific part: LISTEN (no ORM form)
            listener = asyncio.create_task(self._listen(), name="relay-listen")
        logger.info("relay started: targets %s, %s", ", ".join(self.targets),
                    "LISTEN/NOTIFY" if listener else f"polling every {settings.REALTIME_POLL_SECONDS} s")
        try:
            await asyncio.gather(*tasks)
        finally:
            for event in self.wakes.values():
                wakeup.unregister(event)
            if listener:
                listener.cancel()
                await asyncio.gather(listener, return_exceptions=True)

    async def _target_loop(self, target: str) -> None:
        loop = asyncio.get_running_loop()
        wake, backoff = self.wakes[target], Backoff()
        next_heartbeat = next_prune = 0.0
        while not self.stopping:
            wake.clear()
            try:
                async with self.sequencing:
                    pending = await db(outbox_next_batch, target=target, limit=BATCH)
            except DatabaseError:
                logger.exception("relay (%s): the outbox cannot be read; retrying", target)
                await self._sleep(wake, backoff.next(), interruptible=False)
                continue
            sent, error = await self._deliver(target, pending)
            if sent:
                try:
                    await db(outbox_mark_sent, target=target, ids=sent)
                except DatabaseError:  # they go out again: at least once
                    logger.exception("relay (%s): delivered events could not be marked", target)
                self.sent[target] += len(sent)
            if target == "layer" and loop.time() >= next_heartbeat and error is None:
                if await self._heartbeat():
                    next_heartbeat = loop.time() + settings.REALTIME_HEARTBEAT_SECONDS
                else:
                    error = "heartbeat"
            if target == "layer" and loop.time() >= next_prune:
                next_prune = loop.time() + PRUNE_EVERY_SECONDS
                await self._prune()
            if error is not None:
                await self._sleep(wake, backoff.next(), interruptible=False)
                continue
            backoff.reset()
            if len(pending) < BATCH:
                poll = 5.0 if self.listening else settings.REALTIME_POLL_SECONDS
                if target == "layer":
                    poll = max(0.0, min(poll, next_heartbeat - loop.time()))
                await self._sleep(wake, poll)

    async def _deliver(self, target: str, pending: list) -> tuple[list[int], str | None]:
        """Send in order until the first failure; return the ids sent and the failure, if any."""
        sent = []
        loop = asyncio.get_running_loop()
        for event in pending:
            if self.stopping:
                break
            try:
                if target == "layer":
                    await asyncio.wait_for(get_channel_layer().group_send(
                        event.channel, {"type": "broadcast.event", "text": event.frame()},
                    ), SEND_TIMEOUT_SECONDS)
                else:
                    await loop.run_in_executor(None, pusher_send, event)
            except PermanentFailure as exc:
                logger.error("relay (%s): %s #%s (%s, %s) refused for good, skipped: %s",
                             target, event.channel, event.sequence, event.event, event.event_id, exc)
            except Exception as exc:  # a target down or slow: retry from here after a backoff
                logger.warning("relay (%s): %s #%s failed, will retry: %r", target, event.channel, event.sequence, exc)
                return sent, repr(exc)
            sent.append(event.pk)
        return sent, None

    async def _heartbeat(self) -> bool:
        frame = json.dumps({"event": "heartbeat",
                            "data": {"at": timezone.now().isoformat(), "interval": settings.REALTIME_HEARTBEAT_SECONDS}})
        message = {"type": "relay.heartbeat", "text": frame}
        try:
            await asyncio.wait_for(get_channel_layer().group_send(HEARTBEAT_GROUP, message), SEND_TIMEOUT_SECONDS)
        except Exception as exc:
            logger.warning("relay: heartbeat failed: %r", exc)
            return False
        self.heartbeats += 1
        return True

    async def _prune(self) -> None:
        try:
            pruned = await db(outbox_prune, targets=self.targets,
                              older_than=timedelta(seconds=settings.REALTIME_KEEP_DELIVERED_SECONDS))
        except DatabaseError:
            logger.exception("relay: pruning failed")
            return
        if pruned:
            logger.info("relay: pruned %s delivered event(s)", pruned)

    async def _sleep(self, wake: asyncio.Event, seconds: float, *, interruptible: bool = True) -> None:
        """Wait `seconds`, or until woken (a new event) when `interruptible`; `stop()` always ends it."""
        deadline = asyncio.get_running_loop().time() + seconds
        while not self.stopping:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return
            try:
                await asyncio.wait_for(wake.wait(), left)
            except TimeoutError:
                return
            if interruptible:
                return
            wake.clear()

    async def _listen(self) -> None:
        """Wake every target on each NOTIFY from the outbox trigger; reconnect with backoff."""
        import psycopg

        backoff = Backoff()
        while not self.stopping:
            params = connection.settings_dict
            conninfo = psycopg.conninfo.make_conninfo(**{key: str(value) for key, value in {
                "dbname": params["NAME"], "user": params["USER"], "password": params["PASSWORD"],
                "host": params["HOST"], "port": params["PORT"],
            }.items() if value})
            try:
                async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as listen:
                    await listen.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self.listening = True
                    backoff.reset()
                    self.wake()  # anything that committed before LISTEN
                    async for _ in listen.notifies():
                        self.wake()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("relay: LISTEN connection lost, polling until it is back: %r", exc)
            self.listening = False
            await asyncio.sleep(backoff.next())


async def db(fn, **kwargs):
    """Run a database function in the thread-sensitive executor; a broken connection is dropped."""
    return await sync_to_async(_in_thread, thread_sensitive=True)(fn, **kwargs)


def _in_thread(fn, **kwargs):
    try:
        return fn(**kwargs)
    except DatabaseError:
        connection.close()
        raise
