"""WebSocket authentication: the browser's session, or a display key for a screen nobody logs into.

A screen connects with `?key=<device key>`; its scope gets `device`. A browser gets `user` from the
session cookie as usual.
"""

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware

from organizations.authentication import device_for_key


class DeviceKeyQueryMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        query = parse_qs(scope.get("query_string", b"").decode())
        raw_key = (query.get("key") or [""])[0]
        scope["device"] = await database_sync_to_async(device_for_key)(raw_key) if raw_key else None
        return await super().__call__(scope, receive, send)


def WebsocketAuthMiddleware(inner):  # noqa: N802 - reads like the Channels middleware it wraps
    return AuthMiddlewareStack(DeviceKeyQueryMiddleware(inner))
