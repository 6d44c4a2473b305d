"""What a Celery task retries on: the named transient failures of the database, Redis and the network.

Anything else (a bug, bad data) fails the task at once and is logged by Celery, instead of being
retried five times with backoff.
"""

import redis.exceptions
import requests
from django.db import InterfaceError, OperationalError
from pusher.errors import PusherBadStatus

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,  # connection lost, server restarting, deadlock detected, lock timeout
    InterfaceError,  # a closed connection
    ConnectionError,  # sockets, incl. broken pipes and refused connections
    TimeoutError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    requests.ConnectionError,
    requests.Timeout,
    PusherBadStatus,  # Pusher answered 5xx
)


def retry_policy(
    *, backoff: int = 5, backoff_max: int = 300, max_retries: int = 5, extra: tuple[type[BaseException], ...] = ()
) -> dict:
    """Keyword arguments for `shared_task`: retry TRANSIENT_ERRORS (and an app's `extra` transient
    errors) with exponential backoff and jitter."""
    return {
        "autoretry_for": TRANSIENT_ERRORS + extra, "retry_backoff": backoff, "retry_backoff_max": backoff_max,
        "retry_jitter": True, "max_retries": max_retries,
    }
