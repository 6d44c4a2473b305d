"""Test set-up shared by every app: Celery runs tasks eagerly, and the fixed cast of people."""

import os

import pytest

os.environ.setdefault("DJANGO_ENV", "test")

pytest_plugins = ["tests.fixtures"]


def pytest_configure(config):
    _require_chromium(config)
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
    """Cache entries must not outlive the test whose database they came from: in-process memory is
    emptied, Redis gets a per-test key prefix (nothing else there is flushed)."""
    import uuid

    from django.core.cache import cache

    if settings.REDIS_URL:
        settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}"}}
    else:
        cache.clear()
    yield


def pytest_collection_modifyitems(config, items):
    """Run browser tests last: Playwright's sync API keeps an event loop in the main thread for the
    rest of the session, and async_to_sync (WebSocket tests) refuses to run beside it."""
    items.sort(key=lambda item: "browser" in getattr(item, "fixturenames", ()))


@pytest.fixture(autouse=True)
def _responses_match_the_schema(settings):
    """Every /api/ response a test receives must be one the OpenAPI schema declares (tests/contract)."""
    settings.MIDDLEWARE = ["tests.contract.validation.SchemaValidationMiddleware", *settings.MIDDLEWARE]
    yield


CHROMIUM = "/usr/bin/chromium"  # Debian's package; tests/fixtures.py launches the same path


def _require_chromium(config):
    """`make test` on a machine without Chromium stops with one sentence instead of failing each browser test."""
    if hasattr(config, "workerinput") or "not browser" in (config.option.markexpr or "") or os.path.exists(CHROMIUM):
        return
    pytest.exit(
        f"The browser tests need Chromium at {CHROMIUM}: install it (apt-get install chromium), "
        "or leave them out with: make test PYTEST_ARGS='-m \"not browser\"'",
        returncode=4,
    )
