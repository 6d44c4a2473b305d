"""The engine's live events: what screens and Pusher hear about check-ins, check-outs and occupancy.

Every engine write that screens must see calls `publish` (inside its transaction) or
`occupancy_changed`; nothing else in the engine talks to the realtime layer.
"""

from typing import Any

from django.db import transaction

from attendance.occupancy_feed import occupancy_changed as _occupancy_feed_changed
from organizations.models import Organization
from organizations.realtime import broadcast, organization_channel


def publish(organization: Organization, event: str, payload: dict[str, Any]) -> None:
    """Send `event` to the organization's channel, and the occupancy after it, once this commits."""
    broadcast(organization_channel(organization.slug), event, payload)
    transaction.on_commit(lambda: _occupancy_feed_changed(organization), robust=True)


def occupancy_changed(organization: Organization) -> None:
    """Send the organization's occupancy (after a batch that changed it)."""
    _occupancy_feed_changed(organization)
