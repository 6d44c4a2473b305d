"""The fixed cast for permission tests: an organization with an owner, a colleague (receptionist),
a staff worker, a plain member, and an outsider who owns another organization."""

import os
import time

import pytest
from django.db import OperationalError
from rest_framework.test import APIClient

from attendance.models import Member
from organizations.models import Membership, Organization, Role, User
from organizations.services import device_key_create


@pytest.fixture
def org(db):
    return Organization.objects.create(name="Acme Gym", slug="acme", time_zone="Europe/Madrid")


@pytest.fixture
def other_org(db):
    return Organization.objects.create(name="Other Club", slug="other", time_zone="America/New_York")


def make_user(username, organization=None, role=None, **extra):
    user = User.objects.create_user(username=username, password="pw-123456", **extra)
    if organization is not None:
        Membership.objects.create(organization=organization, user=user, role=role)
    return user


@pytest.fixture
def owner(org):
    return make_user("owner", org, Role.OWNER)


@pytest.fixture
def colleague(org):
    return make_user("colleague", org, Role.RECEPTIONIST)


@pytest.fixture
def worker(org):
    return make_user("worker", org, Role.STAFF)


@pytest.fixture
def plain_member(org):
    return make_user("plain", org, Role.MEMBER)


@pytest.fixture
def outsider(other_org):
    return make_user("outsider", other_org, Role.OWNER)


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def owner_client(owner):
    return client_for(owner)


@pytest.fixture
def colleague_client(colleague):
    return client_for(colleague)


@pytest.fixture
def outsider_client(outsider):
    return client_for(outsider)


@pytest.fixture
def member(org):
    return Member.objects.create(organization=org, first_name="Ada", last_name="Lovelace", email="ada@example.com")


@pytest.fixture
def other_member(other_org):
    return Member.objects.create(organization=other_org, first_name="Otto", last_name="Other")


@pytest.fixture
def kiosk(org):
    device, raw_key = device_key_create(organization=org, name="Front kiosk", kind="kiosk")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {raw_key}")
    client.device = device
    client.raw_key = raw_key
    return client


# --- live ASGI server and browser ------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


class LiveServer:
    def __init__(self, url: str):
        self.url = url
        self.ws_url = url.replace("http://", "ws://")

    def __str__(self):
        return self.url


@pytest.fixture
def asgi_live_server(transactional_db):
    """Serve config.asgi (HTTP + WebSocket) with uvicorn in a thread, against the test database."""
    import socket
    import threading
    import time

    import uvicorn

    from config.asgi import application

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    from django.test import override_settings

    # Lifespan on: the outbox relay runs inside the server, as under `make run` (realtime.asgi).
    config = uvicorn.Config(application, log_level="warning", lifespan="on", ws="websockets-sansio")
    server = uvicorn.Server(config)
    relay_here = override_settings(REALTIME_RELAY_IN_PROCESS=True)
    relay_here.enable()
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start within 10 s")
        time.sleep(0.02)
    yield LiveServer(f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    relay_here.disable()


@pytest.fixture(scope="session")
def _playwright():
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API keeps a loop in this thread
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright):
    """A headless Debian Chromium driven by Playwright."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (CI installs it)")
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def logged_in_context(browser, live_server, user, **context_options):
    """A browser context carrying a session cookie for `user` (no login form round-trip)."""
    from django.conf import settings
    from django.test import Client

    django_client = Client()
    django_client.force_login(user)
    session_cookie = django_client.cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(viewport={"width": 1280, "height": 800}, **context_options)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session_cookie, "url": str(live_server)}])
    return context


def eventually(check, seconds=20):
    """Wait until `check()` is true: a browser test's page works in the background (a desk or kiosk
    pushes its queue), so the server reaches the state a moment later. SQLite's test database may
    answer "locked" while the live server writes: ask again."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if check():
                return
        except OperationalError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("the server never reached the expected state")
        time.sleep(0.1)
