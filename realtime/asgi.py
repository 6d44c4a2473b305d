"""Run the relay inside the ASGI server when the channel layer lives in that process (in-memory).

Wraps the ASGI application and answers the server's lifespan messages: the relay starts with the
server and stops with it. With REALTIME_RELAY_IN_PROCESS off (a Redis layer) it does nothing; the
relay is then its own process (`manage.py relay`).
"""

import asyncio
import logging

from django.conf import settings

logger = logging.getLogger(__name__)


class RelayLifespan:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "lifespan":
            return await self.app(scope, receive, send)
        relay = task = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if settings.REALTIME_RELAY_IN_PROCESS:
                    from realtime.relay import Relay

                    relay = Relay()
                    task = asyncio.create_task(relay.run(), name="relay")
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if relay is not None:
                    relay.stop()
                    await asyncio.wait([task], timeout=10)
                await send({"type": "lifespan.shutdown.complete"})
                return
