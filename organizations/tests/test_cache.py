"""config.cache: a per-process copy of hot cached rows in front of the shared cache."""

import time

import pytest
from django.core.cache import cache

from config.cache import forget, read, write

pytestmark = pytest.mark.django_db


def test_the_local_copy_serves_until_its_window_ends_then_the_shared_cache_answers(settings):
    settings.CACHE_LOCAL_MS = 200
    write("row:1", "as read here", 60)
    cache.set("row:1", "as changed by another process", 60)  # what another process's write leaves behind

    assert read("row:1") == "as read here"
    time.sleep(0.3)
    assert read("row:1") == "as changed by another process"


def test_forget_drops_this_process_copy_at_once(settings):
    settings.CACHE_LOCAL_MS = 60_000
    write("row:2", "before", 60)
    assert read("row:2") == "before"

    forget(["row:2"])

    assert read("row:2") is None
    assert cache.get("row:2") is None


def test_a_window_of_zero_always_asks_the_shared_cache(settings):
    settings.CACHE_LOCAL_MS = 0
    write("row:3", "first", 60)
    cache.set("row:3", "second", 60)

    assert read("row:3") == "second"


def test_a_miss_is_not_kept(settings):
    settings.CACHE_LOCAL_MS = 60_000
    assert read("row:4") is None
    cache.set("row:4", "arrived later", 60)

    assert read("row:4") == "arrived later"
