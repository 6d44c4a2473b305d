"""The one way to raise a live event: `broadcast` records it in the outbox of the current transaction.

The relay (realtime/relay.py, `manage.py relay`) delivers it afterwards to the Channels group of the
same name and, when configured, to Pusher, in order per channel and at least once, with an
`event_id` and the channel's `sequence` beside the payload's own keys. Nothing here talks to Redis
or Pusher, so a write never waits on them and never fails because of them.

Channel names are shared by both transports (`org-{slug}`, `hotel-{slug}`). With
PUSHER_PRIVATE_CHANNELS the Pusher channel is `private-{name}`.
"""

from typing import Any

from django.conf import settings

from realtime.services import outbox_record


def organization_channel(slug: str) -> str:
    return f"org-{slug}"


def pusher_channel_name(channel: str) -> str:
    return f"private-{channel}" if settings.PUSHER_PRIVATE_CHANNELS else channel


def broadcast(channel: str, event: str, payload: dict[str, Any]) -> None:
    """Record `event` for `channel` in the current transaction; it goes out once that commits."""
    outbox_record(events=[(channel, event, payload)])
