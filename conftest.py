"""Test set-up shared by every app: Celery runs tasks eagerly, and the fixed cast of people."""

import os

import pytest

os.environ.setdefault("DJANGO_ENV", "test")

pytest_plugins = ["tests.fixtures"]


def pytest_configure(config):
    from config.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True)
def _isolated_channel_layer(settings):
    """Every test gets a fresh channel layer (in-memory, or Redis with a per-test prefix)."""
    import uuid

    from channels.layers import channel_layers

    if settings.REDIS_URL:
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [{"address": settings.REDIS_URL}], "prefix": f"test-{uuid.uuid4().hex[:8]}"},
            }
        }
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """Cached rows (device keys, gyms) must not outlive the test whose database they came from:
    in-process memory is emptied, Redis gets a per-test key prefix (nothing else there is flushed)."""
    import uuid

    from django.core.cache import cache

    from config.cache import clear_local

    clear_local()
    if settings.REDIS_URL:
        settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}"}}
    else:
        cache.clear()
    yield


def pytest_collection_modifyitems(config, items):
    """Run browser tests last: Playwright's sync API keeps an event loop in the main thread for the
    rest of the session, and async_to_sync (WebSocket tests) refuses to run beside it."""
    items.sort(key=lambda item: "browser" in getattr(item, "fixturenames", ()))
