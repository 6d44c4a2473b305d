"""The one broadcaster: after commit, send an event to a Channels group and, if configured, Pusher.

Channel names are shared by both transports (`org-{slug}`, `hotel-{slug}`). With
PUSHER_PRIVATE_CHANNELS the Pusher channel is `private-{name}`. A failing broadcast is logged and
never fails or rolls back the write that caused it.
"""

import asyncio
import atexit
import concurrent.futures
import functools
import logging
import os
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)
SEND_TIMEOUT_SECONDS = 5


def organization_channel(slug: str) -> str:
    return f"org-{slug}"


def pusher_channel_name(channel: str) -> str:
    return f"private-{channel}" if settings.PUSHER_PRIVATE_CHANNELS else channel


_loop_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None


def _broadcast_loop() -> asyncio.AbstractEventLoop:
    """One event loop per process, in a daemon thread, that keeps the channel layer's connections.

    `async_to_sync` from a plain WSGI or Celery thread would build a new loop, and with it a new
    Redis connection, for every broadcast (8-10 ms each, measured). Created lazily and again after
    a fork, so gunicorn and Celery prefork children each get their own.
    """
    global _loop, _loop_pid
    with _loop_lock:
        if _loop is None or _loop_pid != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="broadcast-loop", daemon=True).start()
            _loop, _loop_pid = loop, os.getpid()
        return _loop


def layer_is_in_process() -> bool:
    """True for the embedded in-memory layer: its queues live on the server's own event loop, so it
    can only be sent to from request threads, not from a thread of our own (a timer)."""
    return isinstance(get_channel_layer(), InMemoryChannelLayer)


def send_to_group(channel: str, event: str, payload: dict[str, Any]) -> None:
    """Send to the Channels group without waiting for Redis; a failure is logged, never raised.

    Through Redis the send is queued on the broadcast loop and the caller goes on: waiting for the
    publish cost a sync worker ~0.5 ms of CPU per event in thread hand-offs (measured), and a check-in
    sends one or two. Events from one process keep their order (one loop, one connection per shard,
    taken in turn). `drain()` waits for what is queued; it runs at process exit.
    """
    message = {"type": "broadcast.event", "event": event, "payload": payload}
    try:
        layer = get_channel_layer()
        if layer is None:
            return
        if isinstance(layer, InMemoryChannelLayer):
            # The in-memory layer's queues belong to the caller's loop; it only serves one process.
            async_to_sync(layer.group_send)(channel, message)
            return
        future = asyncio.run_coroutine_threadsafe(_send_bounded(layer, channel, message), _broadcast_loop())
    except Exception:  # a dead Redis must not break a check-in
        logger.exception("broadcast to group %s failed (event %s)", channel, event)
        return
    with _pending_lock:
        _pending.add(future)
    future.add_done_callback(functools.partial(_sent, channel, event))


async def _send_bounded(layer, channel: str, message: dict[str, Any]) -> None:
    await asyncio.wait_for(layer.group_send(channel, message), SEND_TIMEOUT_SECONDS)


_pending_lock = threading.Lock()
_pending: set[concurrent.futures.Future] = set()


def _sent(channel: str, event: str, future: concurrent.futures.Future) -> None:
    with _pending_lock:
        _pending.discard(future)
    error = None if future.cancelled() else future.exception()
    if error is not None:
        logger.error("broadcast to group %s failed (event %s)", channel, event, exc_info=error)


def drain(timeout: float = SEND_TIMEOUT_SECONDS) -> bool:
    """Wait until the broadcasts queued so far are sent or failed; True if none is left."""
    with _pending_lock:
        waiting = list(_pending)
    _, not_done = concurrent.futures.wait(waiting, timeout=timeout)
    return not not_done


atexit.register(drain)


def _deliver(channel: str, event: str, payload: dict[str, Any]) -> None:
    send_to_group(channel, event, payload)
    if settings.PUSHER_ENABLED:
        from organizations.tasks import pusher_trigger

        try:
            pusher_trigger.delay(pusher_channel_name(channel), event, payload)
        except Exception:
            logger.exception("could not enqueue Pusher trigger for %s/%s", channel, event)


def broadcast(channel: str, event: str, payload: dict[str, Any]) -> None:
    """Deliver `event` to `channel` once the current transaction commits (now if there is none)."""
    transaction.on_commit(lambda: _deliver(channel, event, payload), robust=True)
