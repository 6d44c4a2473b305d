"""Two server processes over one database: a change made through one is seen by the other at once,
because nothing about a device key, a user or a gym's settings is kept in a process."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests
from django.conf import settings
from django.db import connection

from gamification import services as gym_services
from organizations.services import device_key_create
from tests.fixtures import make_user

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def two_servers(transactional_db):
    """Two uvicorn processes serving config.asgi against the test database."""
    url = urlparse(os.environ["DATABASE_URL"])._replace(path=f"/{connection.settings_dict['NAME']}").geturl()
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    servers, urls = [], []
    for _ in range(2):
        port = _free_port()
        servers.append(subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning", "--lifespan", "off"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        ))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for server, base in zip(servers, urls):
            deadline = time.monotonic() + 60
            while True:
                try:
                    requests.get(f"{base}/api/v1/me/", timeout=2)
                    break
                except requests.ConnectionError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        server.kill()
                        raise RuntimeError(f"{base} did not start: {server.communicate()[1].decode()[-2000:]}") from None
                    time.sleep(0.2)
        yield urls
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


def _token(user) -> dict:
    from rest_framework.authtoken.models import Token

    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="two processes need a shared database server; CI runs this on PostgreSQL")
def test_revoked_key_deactivated_user_and_gym_setting_take_effect_in_the_other_process_at_once(org, two_servers):
    first, second = two_servers
    owner = make_user("two-proc-owner", org, "owner")
    desk = make_user("two-proc-desk", org, "receptionist")
    gym_services.gym_configure(organization=org)
    member = gym_services.gym_member_create(organization=org, first_name="Two", last_name="Procs",
                                            expires_at=owner.date_joined.replace(year=2100))
    device, raw = device_key_create(organization=org, name="Door", kind="terminal")
    as_device = {"Authorization": f"Device {raw}"}

    for base in two_servers:  # both processes have served the key, the user and the gym once
        assert requests.get(f"{base}/api/v1/me/", headers=as_device, timeout=10).status_code == 200
        assert requests.get(f"{base}/api/v1/me/", headers=_token(desk), timeout=10).status_code == 200
        assert requests.get(f"{base}/api/v1/gym/settings", headers=_token(owner), timeout=10).json()["gamification_enabled"]

    revoked = requests.post(f"{first}/api/v1/devices/{device.pk}/revoke/", json={}, headers=_token(owner), timeout=10)
    assert revoked.status_code == 200, revoked.text
    assert requests.get(f"{second}/api/v1/me/", headers=as_device, timeout=10).status_code == 401

    changed = requests.patch(f"{first}/api/v1/gym/settings", json={"gamification_enabled": False},
                             headers=_token(owner), timeout=10)
    assert changed.status_code == 200, changed.text
    entry = requests.post(f"{second}/api/v1/gym/checkin", json={"user_id": member.pk}, headers=_token(desk), timeout=10)
    assert entry.status_code == 201, entry.text
    assert entry.json()["member"]["current_streak"] == 0  # no streak counted: gamification is off

    desk.is_active = False
    desk.save(update_fields=["is_active"])
    assert requests.get(f"{second}/api/v1/me/", headers=_token(desk), timeout=10).status_code == 401
