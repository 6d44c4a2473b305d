"""`occupancy.changed`: the live head count, broadcast after check-ins and check-outs.

A busy door does not need a count per scan: each process sends at most one occupancy event per
organization per `ATTENDANCE_OCCUPANCY_BROADCAST_MS`. The first change in a quiet period goes out
at once; changes inside the window are folded into one trailing event at the window's end, read
then, so the last event always carries the count after the last change. 0 sends one per change,
and so does the embedded in-memory channel layer (one process; a timer thread cannot reach it).
"""

import logging
import threading
import time

from django.conf import settings
from django.db import connection

from organizations.realtime import broadcast, layer_is_in_process, organization_channel

logger = logging.getLogger(__name__)

OCCUPANCY_CHANGED = "occupancy.changed"

_lock = threading.Lock()
_last_sent: dict[int, float] = {}  # organization pk -> monotonic time of its last event
_waiting: dict[int, object] = {}  # organization pk -> organization with a trailing event scheduled


def occupancy_changed(organization) -> None:
    """Broadcast the organization's occupancy now, or once the current window ends. Call after commit."""
    interval = settings.ATTENDANCE_OCCUPANCY_BROADCAST_MS / 1000
    if interval <= 0 or layer_is_in_process():
        _send(organization)
        return
    now = time.monotonic()
    with _lock:
        last = _last_sent.get(organization.pk)
        if last is None or now - last >= interval:
            _last_sent[organization.pk] = now
            send_now = True
        else:
            send_now = False
            if organization.pk not in _waiting:
                _waiting[organization.pk] = organization
                timer = threading.Timer(last + interval - now, _send_trailing, args=(organization.pk,))
                timer.daemon = True
                timer.start()
    if send_now:
        _send(organization)


def _send_trailing(organization_pk: int) -> None:
    with _lock:
        organization = _waiting.pop(organization_pk, None)
        _last_sent[organization_pk] = time.monotonic()
    if organization is None:
        return
    try:
        _send(organization)
    finally:
        connection.close()  # this timer thread's own connection


def _send(organization) -> None:
    from attendance.selectors import occupancy

    try:
        payload = occupancy(organization=organization)
    except Exception:  # a failed read must not fail the check-in that triggered it
        logger.exception("occupancy of %s could not be read", organization.slug)
        return
    broadcast(organization_channel(organization.slug), OCCUPANCY_CHANGED, payload)


def reset() -> None:
    """Forget the windows (tests)."""
    with _lock:
        _last_sent.clear()
        _waiting.clear()
