import asyncio
import json

import pytest
from channels.layers import get_channel_layer


@pytest.fixture
def listen():
    """`listen(group)` joins `group` on the channel layer and returns a function that drains what
    arrived so far, each message as `{"type", "event", "data"}` (the relay's frame, decoded). One event loop per listener: the Redis pub/sub layer subscribes per loop, so
    the subscription must live on the loop that later reads it. Loops are closed after the test.
    """
    opened = []

    def _listen(group):
        layer = get_channel_layer()
        loop = asyncio.new_event_loop()
        channel = loop.run_until_complete(layer.new_channel())
        loop.run_until_complete(layer.group_add(group, channel))
        opened.append((loop, layer, group, channel))

        async def _drain():
            messages = []
            while True:
                try:
                    message = await asyncio.wait_for(layer.receive(channel), timeout=0.3)
                    messages.append({"type": message["type"], **json.loads(message["text"])})
                except TimeoutError:
                    return messages

        return lambda: loop.run_until_complete(_drain())

    yield _listen
    for loop, layer, group, channel in opened:
        loop.run_until_complete(layer.group_discard(group, channel))
        if hasattr(layer, "flush") and type(layer).__name__ == "RedisPubSubChannelLayer":
            loop.run_until_complete(layer.flush())  # closes this loop's Redis connections
        loop.close()


def clock_events(messages):
    return [m["data"] for m in messages if m["event"] == "clock-status-updated"]
