"""`occupancy.changed`: the live head count, broadcast after check-ins and check-outs.

A busy door does not need a count per scan: each process sends at most one occupancy event per
organization per `ATTENDANCE_OCCUPANCY_BROADCAST_MS`. The first change in a quiet period goes out
at once; changes inside the window are folded into one trailing event at the window's end, read
then, so the last event always carries the count after the last change. 0 sends one per change,
and so does the embedded in-memory channel layer (one process; a thread of ours cannot reach it).

Trailing events are sent by one sender thread per process, which keeps its own database
connection while there is work: a thread and a connection per trailing event (a new PostgreSQL
backend each time, ~8 a second across 4 busy workers) cost the check-ins around them a third of
their p99. The thread ends, closing its connection, after `IDLE_SECONDS` with nothing to send.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import connection

from organizations.realtime import broadcast, layer_is_in_process, organization_channel

logger = logging.getLogger(__name__)

OCCUPANCY_CHANGED = "occupancy.changed"
IDLE_SECONDS = 30.0

_condition = threading.Condition()
_last_sent: dict[int, float] = {}  # organization pk -> monotonic time of its last event
_due: dict[int, tuple[float, object]] = {}  # organization pk -> (when, organization) of its trailing event
_sender: threading.Thread | None = None
_stopping = False


def occupancy_changed(organization) -> None:
    """Broadcast the organization's occupancy now, or once the current window ends. Call after commit."""
    interval = settings.ATTENDANCE_OCCUPANCY_BROADCAST_MS / 1000
    if interval <= 0 or layer_is_in_process():
        _send(organization)
        return
    now = time.monotonic()
    with _condition:
        last = _last_sent.get(organization.pk)
        send_now = last is None or now - last >= interval
        if send_now:
            _last_sent[organization.pk] = now
        elif organization.pk not in _due:
            _due[organization.pk] = (last + interval, organization)
            _start_sender()
            _condition.notify()
    if send_now:
        _send(organization)


def _start_sender() -> None:
    """Start the sender thread if it is not running. Hold _condition."""
    global _sender
    if _sender is None:
        _sender = threading.Thread(target=_run_sender, name="occupancy-feed", daemon=True)
        _sender.start()


def _run_sender() -> None:
    try:
        while True:
            ready = _wait_for_due()
            if ready is None:
                return
            for organization in ready:
                if not _send(organization):
                    connection.close()  # a broken connection is replaced on the next read
    finally:
        connection.close()  # this thread's own connection


def _wait_for_due() -> list | None:
    """The organizations whose trailing event is due, once there are some; None when the thread
    should end (stopped, or idle for IDLE_SECONDS)."""
    global _sender
    with _condition:
        idle_since = time.monotonic()
        while not _stopping:
            now = time.monotonic()
            if _due:
                ready = [pk for pk, (when, _) in _due.items() if when <= now]
                if ready:
                    for pk in ready:
                        _last_sent[pk] = now
                    return [_due.pop(pk)[1] for pk in ready]
                _condition.wait(min(when for when, _ in _due.values()) - now)
                idle_since = time.monotonic()
            elif now - idle_since >= IDLE_SECONDS:
                break
            else:
                _condition.wait(IDLE_SECONDS - (now - idle_since))
        _sender = None
        return None


def _send(organization) -> bool:
    """Read and broadcast the occupancy; False if the read failed (logged, never raised)."""
    from attendance.selectors import occupancy

    try:
        payload = occupancy(organization=organization)
    except Exception:  # a failed read must not fail the check-in that triggered it
        logger.exception("occupancy of %s could not be read", organization.slug)
        return False
    broadcast(organization_channel(organization.slug), OCCUPANCY_CHANGED, payload)
    return True


def reset() -> None:
    """Stop the sender thread (closing its connection) and forget the windows (tests)."""
    global _stopping
    with _condition:
        sender = _sender
        _stopping = True
        _condition.notify_all()
    if sender is not None:
        sender.join(timeout=10)
    with _condition:
        _stopping = False
        _last_sent.clear()
        _due.clear()
