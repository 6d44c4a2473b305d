"""The one broadcaster: after commit, send an event to a Channels group and, if configured, Pusher.

Channel names are shared by both transports (`org-{slug}`, `hotel-{slug}`). With
PUSHER_PRIVATE_CHANNELS the Pusher channel is `private-{name}`. A failing broadcast is logged and
never fails or rolls back the write that caused it.
"""

import logging
import os
import threading
import weakref
from typing import Any

import redis
from asgiref.sync import async_to_sync
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from channels_redis.utils import _consistent_hash, decode_hosts
from django.conf import settings
from django.db import transaction
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)
SEND_TIMEOUT_SECONDS = 1


def client_name() -> str:
    """How Redis lists this process's publisher connection (CLIENT LIST): `attendance-publisher-<pid>`."""
    return f"attendance-publisher-{os.getpid()}"


def organization_channel(slug: str) -> str:
    return f"org-{slug}"


def pusher_channel_name(channel: str) -> str:
    return f"private-{channel}" if settings.PUSHER_PRIVATE_CHANNELS else channel


def layer_is_in_process() -> bool:
    """True for the embedded in-memory layer: its queues live on the server's own event loop, so it
    can only be sent to from request threads, not from a thread of our own (a timer)."""
    return isinstance(get_channel_layer(), InMemoryChannelLayer)


class GroupPublisher:
    """The sending half of channels_redis's pub/sub layer, for sync code (WSGI workers, Celery).

    The layer's `group_send` is a coroutine. From a sync thread, `async_to_sync` builds an event
    loop and a Redis connection per call (8-10 ms, measured), and a loop thread of our own cost
    ~0.4 ms of CPU per event in asyncio and redis.asyncio hand-offs. A group message on that layer
    is one Redis PUBLISH of the layer's serialized message on the group's channel, on the shard the
    layer picks for it; this sends exactly that with the blocking redis client.

    The channel name and the shard rule are channels_redis's (its version is pinned); the Redis
    tests subscribe real consumers through the layer, so a change there fails them.

    Each shard's client holds one connection (`single_connection_client`, guarded by redis-py's
    own lock) instead of taking one from a pool per PUBLISH: that skips the pool's checkout and its
    readiness poll, 25-35 us of CPU per event (measured). A publisher belongs to the process that
    made it (`pid`): a forked child builds its own rather than write on its parent's socket.
    """

    def __init__(self, config: dict[str, Any]):
        self.pid = os.getpid()
        self.prefix = config.get("prefix", "asgi")
        self.shards = []
        for host in decode_hosts(config.get("hosts")):
            options = {
                **host,
                "socket_connect_timeout": SEND_TIMEOUT_SECONDS,
                "socket_timeout": SEND_TIMEOUT_SECONDS,
                "single_connection_client": True,
                "client_name": client_name(),
                # Once, and only when the connection failed: one that Redis has closed (a restart, a
                # timeout on its side); the retry reconnects.
                "retry": Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
            }
            address = options.pop("address", None)
            self.shards.append(redis.Redis.from_url(address, **options) if address else redis.Redis(**options))

    def close(self) -> None:
        for shard in self.shards:
            shard.close()

    def group_send(self, group: str, data: bytes) -> None:
        """Publish `data`, a message serialized by the layer (`layer.serialize`), to `group`."""
        channel = f"{self.prefix}__group__{group}"
        shard = self.shards[_consistent_hash(channel, len(self.shards))]
        shard.publish(channel, data)


_publishers_lock = threading.Lock()
_publishers: "weakref.WeakKeyDictionary[RedisPubSubChannelLayer, GroupPublisher]" = weakref.WeakKeyDictionary()


def _publisher(layer: RedisPubSubChannelLayer) -> GroupPublisher:
    publisher = _publishers.get(layer)
    if publisher is not None and publisher.pid == os.getpid():
        return publisher
    # Connect outside the lock: a Redis that does not answer then holds up only this thread, for
    # at most SEND_TIMEOUT_SECONDS, not every thread that broadcasts.
    fresh = GroupPublisher(settings.CHANNEL_LAYERS[DEFAULT_CHANNEL_LAYER].get("CONFIG", {}))
    with _publishers_lock:
        publisher = _publishers.get(layer)
        if publisher is None or publisher.pid != os.getpid():
            publisher = _publishers[layer] = fresh  # no reference back to the layer: the key may die
            fresh = None
    if fresh is not None:  # another thread got there first
        fresh.close()
    return publisher


def send_to_group(channel: str, event: str, payload: dict[str, Any]) -> None:
    """Send to the Channels group now; a failure is logged, never raised.

    Through Redis this is one PUBLISH from the calling thread, bounded by SEND_TIMEOUT_SECONDS
    when Redis does not answer; events sent from one thread arrive in the order they were sent.
    """
    message = {"type": "broadcast.event", "event": event, "payload": payload}
    try:
        layer = get_channel_layer()
        if layer is None:
            return
        if isinstance(layer, RedisPubSubChannelLayer):
            _publisher(layer).group_send(channel, layer.serialize(message))
        else:
            # The in-memory layer's queues belong to the caller's loop; it only serves one process.
            async_to_sync(layer.group_send)(channel, message)
    except Exception:  # a dead Redis must not break a check-in
        logger.exception("broadcast to group %s failed (event %s)", channel, event)


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
