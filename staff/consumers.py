"""The hotel's live stream: `clock-status-updated` events for every open screen of the hotel."""

from organizations.consumers import OrganizationConsumer
from staff.events import hotel_channel


class HotelConsumer(OrganizationConsumer):
    """`/ws/hotel/<hotel_slug>/`: signed-in users of the hotel, or a display screen (`?key=`).

    Messages are `{"event": "clock-status-updated", "data": <ClockStatusUpdated>}`; a client may
    send `{"type": "ping"}` and gets `{"event": "pong"}`. It never writes.
    """

    url_kwarg = "hotel_slug"

    def group_name(self, principal) -> str:
        return hotel_channel(principal.organization.slug)
