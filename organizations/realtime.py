"""The one broadcaster: after commit, send an event to a Channels group and, if configured, Pusher.

Channel names are shared by both transports (`org-{slug}`, `hotel-{slug}`). With
PUSHER_PRIVATE_CHANNELS the Pusher channel is `private-{name}`. A failing broadcast is logged and
never fails or rolls back the write that caused it.
"""

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def organization_channel(slug: str) -> str:
    return f"org-{slug}"


def pusher_channel_name(channel: str) -> str:
    return f"private-{channel}" if settings.PUSHER_PRIVATE_CHANNELS else channel


def send_to_group(channel: str, event: str, payload: dict[str, Any]) -> bool:
    """Send now to the Channels group; return False (and log) on failure."""
    try:
        layer = get_channel_layer()
        if layer is None:
            return False
        async_to_sync(layer.group_send)(channel, {"type": "broadcast.event", "event": event, "payload": payload})
        return True
    except Exception:  # a dead Redis must not break a check-in
        logger.exception("broadcast to group %s failed (event %s)", channel, event)
        return False


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
