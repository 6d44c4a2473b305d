"""The Pusher client, built from settings (Pusher Channels, or a self-hosted Pusher-protocol server)."""

from functools import lru_cache

import pusher
from django.conf import settings


@lru_cache(maxsize=1)
def _client(app_id, key, secret, cluster, host, port, ssl, timeout) -> pusher.Pusher:
    kwargs = {"app_id": app_id, "key": key, "secret": secret, "ssl": ssl, "timeout": timeout}
    if host:
        kwargs.update(host=host, port=port)
    else:
        kwargs["cluster"] = cluster
    return pusher.Pusher(**kwargs)


def get_pusher() -> pusher.Pusher:
    return _client(
        settings.PUSHER_APP_ID,
        settings.PUSHER_KEY,
        settings.PUSHER_SECRET,
        settings.PUSHER_CLUSTER,
        settings.PUSHER_HOST,
        settings.PUSHER_PORT,
        settings.PUSHER_SSL,
        settings.PUSHER_TIMEOUT_SECONDS,
    )
