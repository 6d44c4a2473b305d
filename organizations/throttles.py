"""Limits on guessing: sign-in attempts (the token endpoint and the login pages) per username and per
address, and signed-webhook calls per address. DRF's rate throttles on the shared cache (Redis when
`REDIS_URL` is set), so every process counts the same attempts; an exceeded limit answers 429 with
`Retry-After`. Rates: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] in config/settings.py.

They fail open: while the cache cannot be reached (Redis down or frozen: each call gives up after
CACHE_TIMEOUT_SECONDS) a request is let through and a warning logged. A limit on guessing must not
turn a Redis outage into an outage of sign-in and webhooks; the password and signature checks
still run.
"""

import hashlib
import logging
import math

from redis.exceptions import RedisError
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)


class FailOpenRateThrottle(SimpleRateThrottle):
    """A rate throttle that allows the request when the shared cache cannot be reached."""

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except RedisError as exc:
            logger.warning("%s: the cache is unreachable, request allowed: %r", type(self).__name__, exc)
            return True


class SignInAddressThrottle(FailOpenRateThrottle):
    """Sign-in attempts from one client address, whatever the username."""

    scope = "sign_in_address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class SignInUsernameThrottle(FailOpenRateThrottle):
    """Sign-in attempts at one username, from any address (a distributed guess at one account)."""

    scope = "sign_in_username"

    def get_cache_key(self, request, view):
        data = request.data if hasattr(request, "data") else request.POST
        username = data.get("username") if hasattr(data, "get") else None
        if not isinstance(username, str) or not username:
            return None  # refused by validation before any password is checked
        return self.cache_format % {"scope": self.scope, "ident": hashlib.sha256(username.encode()).hexdigest()}


class WebhookAddressThrottle(FailOpenRateThrottle):
    """Calls to a signed webhook from one client address: a wrong signature costs an attempt too."""

    scope = "webhook_address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


SIGN_IN_THROTTLES = (SignInAddressThrottle, SignInUsernameThrottle)


def sign_in_wait(request) -> int | None:
    """Seconds until a sign-in attempt from this request is allowed again, or None when it is allowed
    now (and then the attempt is counted). For views outside DRF, such as the login pages."""
    waits = [throttle.wait() for throttle in (cls() for cls in SIGN_IN_THROTTLES) if not throttle.allow_request(request, None)]
    return max(math.ceil(w or 1) for w in waits) if waits else None
