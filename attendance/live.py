"""The engine's live events: what screens and Pusher hear about check-ins, check-outs and occupancy.

Every engine write that screens must see calls `publish` (inside its transaction) or
`occupancy_changed`; nothing else in the engine talks to the realtime layer. Both record outbox
rows in the caller's transaction (organizations.realtime), so an occupancy event carries the
count as of that transaction.
"""

from typing import Any

from attendance.selectors import occupancy
from organizations.models import Organization
from organizations.realtime import organization_channel
from realtime.services import outbox_record

OCCUPANCY_CHANGED = "occupancy.changed"


def publish(organization: Organization, event: str, payload: dict[str, Any]) -> None:
    """Record `event` on the organization's channel, and the occupancy after it."""
    channel = organization_channel(organization.slug)
    outbox_record(events=[(channel, event, payload), (channel, OCCUPANCY_CHANGED, occupancy(organization=organization))])


def occupancy_changed(organization: Organization) -> None:
    """Record the organization's occupancy (after a batch that changed it)."""
    outbox_record(events=[(organization_channel(organization.slug), OCCUPANCY_CHANGED, occupancy(organization=organization))])
