"""Wake a relay that runs in this process (the embedded set-up) as soon as an outbox write commits.

A relay in another process wakes on PostgreSQL's NOTIFY or its own short poll instead.
"""

import asyncio
import threading

_lock = threading.Lock()
_relays: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []


def has_local_relay() -> bool:
    return bool(_relays)


def register(loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> None:
    with _lock:
        _relays.append((loop, event))


def unregister(event: asyncio.Event) -> None:
    with _lock:
        _relays[:] = [entry for entry in _relays if entry[1] is not event]


def wake_local_relays() -> None:
    with _lock:
        relays = list(_relays)
    for loop, event in relays:
        if not loop.is_closed():
            loop.call_soon_threadsafe(event.set)
