"""WebSocket consumers. They authenticate on connect and never write; writes go through HTTP."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404

from organizations.models import DeviceKind
from organizations.realtime import organization_channel
from organizations.tenancy import resolve_principal
from realtime.relay import HEARTBEAT_GROUP
from realtime.selectors import channel_last_sequence


class OrganizationConsumer(AsyncJsonWebsocketConsumer):
    """Streams an organization's events to signed-in members or its display keys.

    Subclasses set `url_kwarg` and override `group_name` to serve another channel.
    Each message is `{"event": <name>, "data": <payload>}`; every payload carries the relay's
    `event_id` and the channel's `sequence` beside its own keys. The relay's heartbeat arrives as
    `{"event": "heartbeat", "data": {"at": <iso time>, "interval": <seconds>}}`: a screen is live
    only while these arrive (static/js/live.js). The first message after connecting is
    `{"event": "hello", "data": {"sequence": <the channel's last sequence>}}`, read after joining the
    group: a screen that fetches its snapshot now expects the next event to be that + 1.
    """

    url_kwarg = "org_slug"

    def group_name(self, principal) -> str:
        return organization_channel(principal.organization.slug)

    def is_allowed(self, principal) -> bool:
        # Kiosk, terminal and integration keys act at doors and desks; only screens watch.
        if principal.device is not None:
            return principal.device.kind == DeviceKind.DISPLAY
        return principal.user is not None

    async def connect(self):
        slug = self.scope["url_route"]["kwargs"][self.url_kwarg]
        user = self.scope.get("user")
        device = self.scope.get("device")
        try:
            principal = await database_sync_to_async(resolve_principal)(
                user=None if device else user, device=device, slug=slug
            )
        except Http404:
            principal = None
        if principal is None or not self.is_allowed(principal):
            await self.close(code=4403)
            return
        self.principal = principal
        self.group = self.group_name(principal)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_add(HEARTBEAT_GROUP, self.channel_name)
        sequence = await database_sync_to_async(channel_last_sequence)(name=self.group)
        await self.accept()
        await self.send_json({"event": "hello", "data": {"sequence": sequence}})

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.channel_layer.group_discard(HEARTBEAT_GROUP, self.channel_name)

    async def dispatch(self, message):
        # The relay's events and heartbeats carry their WebSocket frame, JSON-encoded once for every
        # socket (`text`); they touch no database, so they also skip Channels' close_old_connections(),
        # which runs through the one thread-sensitive executor and would serialize the deliveries of
        # an event to every socket of the process through a single thread.
        if message["type"] in ("broadcast.event", "relay.heartbeat"):
            await self.send(text_data=message["text"])
            return
        await super().dispatch(message)

    async def receive_json(self, content, **kwargs):
        if content.get("type") == "ping":
            await self.send_json({"event": "pong", "data": {}})
