"""WebSocket authentication: the browser's session, or a display key for a screen nobody logs into.

A screen connects with `?key=<device key>`; its scope gets `device` and an anonymous `user`, and its
connection goes without the session and cookie middleware (a screen has no session; their wrapper
of `send` would otherwise run for every event the screen gets). A browser, or a key that matches no
device, gets `user` from the session cookie as usual.
"""

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser

from organizations.authentication import device_for_key


class DeviceKeyOrSessionMiddleware:
    def __init__(self, inner):
        self.inner = inner
        self.with_session = AuthMiddlewareStack(inner)

    async def __call__(self, scope, receive, send):
        query = parse_qs(scope.get("query_string", b"").decode())
        raw_key = (query.get("key") or [""])[0]
        device = await database_sync_to_async(device_for_key)(raw_key) if raw_key else None
        if device is not None:
            return await self.inner({**scope, "device": device, "user": AnonymousUser()}, receive, send)
        return await self.with_session({**scope, "device": None}, receive, send)


def WebsocketAuthMiddleware(inner):  # noqa: N802 - reads like the Channels middleware it wraps
    return DeviceKeyOrSessionMiddleware(inner)
