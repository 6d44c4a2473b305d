"""Cached copies of rows (device keys, gyms) and how a change drops them."""

from django.core.cache import cache
from django.db import transaction


def forget(keys: list[str]) -> None:
    """Drop cached copies now and again after commit: a request between the two could re-cache the
    row as it was before the current transaction."""
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys), robust=True)
