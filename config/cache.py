"""The cache: cached copies of rows (device keys, gyms), how a change drops them, and the Redis
backend used when REDIS_URL is set.

Rows read on every request go through `read` / `write`: a copy in this process, kept for
CACHE_LOCAL_MS, in front of the shared cache. At door traffic the shared cache is then asked about
once per window per process instead of once per request (each ask cost ~0.25 ms of CPU with
unpickling, measured on the check-in path). `forget` drops both copies in this process at once;
other processes may serve their copy until its window ends.
"""

import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.db import transaction

LOCAL_MAX_ENTRIES = 4096

_local_lock = threading.Lock()
_local: dict[str, tuple[float, object]] = {}  # key -> (monotonic expiry, value)


def read(key: str):
    """The cached value for `key`, or None: this process's copy while it is fresh, else the shared cache's."""
    entry = _local.get(key)
    if entry is not None and entry[0] > time.monotonic():
        return entry[1]
    value = cache.get(key)
    if value is not None:
        _keep(key, value)
    return value


def write(key: str, value, seconds: int) -> None:
    """Cache `value` for `seconds` in the shared cache, and here for CACHE_LOCAL_MS."""
    cache.set(key, value, seconds)
    _keep(key, value)


def _keep(key: str, value) -> None:
    window = settings.CACHE_LOCAL_MS / 1000
    if window <= 0:
        return
    now = time.monotonic()
    with _local_lock:
        if len(_local) >= LOCAL_MAX_ENTRIES:
            for stale in [k for k, (expires, _) in _local.items() if expires <= now]:
                del _local[stale]
            if len(_local) >= LOCAL_MAX_ENTRIES:
                _local.clear()
        _local[key] = (now + window, value)


def _drop_local(keys: list[str]) -> None:
    with _local_lock:
        for key in keys:
            _local.pop(key, None)


def clear_local() -> None:
    """Forget every copy held by this process (tests)."""
    with _local_lock:
        _local.clear()


def forget(keys: list[str]) -> None:
    """Drop cached copies now and again after commit: a request between the two could re-cache the
    row as it was before the current transaction."""
    if not keys:
        return

    def drop():
        _drop_local(keys)
        cache.delete_many(keys)

    drop()
    transaction.on_commit(drop, robust=True)


class _ReusedClient(RedisCacheClient):
    """Django's client builds a new `redis.Redis` for every call, which costs more CPU than the GET
    it sends (0.15-0.3 ms, profiled on the check-in path). A client is only a handle on its
    connection pool and is thread-safe, so one per pool is kept."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}  # id(pool) -> client; the pools live as long as this object

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """Django's Redis cache with one reused client per connection pool."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusedClient
