import asyncio

from channels.layers import get_channel_layer


def listen(group):
    """Join `group` on the channel layer; return a function that drains what arrived so far.

    One event loop is kept for the listener: the Redis pub/sub layer subscribes per loop, so the
    subscription must live on the loop that later reads it.
    """
    layer = get_channel_layer()
    loop = asyncio.new_event_loop()
    channel = loop.run_until_complete(layer.new_channel())
    loop.run_until_complete(layer.group_add(group, channel))

    async def _drain():
        messages = []
        while True:
            try:
                messages.append(await asyncio.wait_for(layer.receive(channel), timeout=0.3))
            except TimeoutError:
                return messages

    return lambda: loop.run_until_complete(_drain())


def clock_events(messages):
    return [m["payload"] for m in messages if m["event"] == "clock-status-updated"]
