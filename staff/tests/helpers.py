import asyncio

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def listen(group):
    """Join `group` on the channel layer; return a function that drains what arrived."""
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)

    async def _drain():
        messages = []
        while True:
            try:
                messages.append(await asyncio.wait_for(layer.receive(channel), timeout=0.3))
            except TimeoutError:
                return messages

    return async_to_sync(_drain)


def clock_events(messages):
    return [m["payload"] for m in messages if m["event"] == "clock-status-updated"]
