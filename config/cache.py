"""The cache: cached copies of rows (device keys, gyms), how a change drops them, and the Redis
backend used when REDIS_URL is set."""

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.db import transaction


def forget(keys: list[str]) -> None:
    """Drop cached copies now and again after commit: a request between the two could re-cache the
    row as it was before the current transaction."""
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys), robust=True)


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
