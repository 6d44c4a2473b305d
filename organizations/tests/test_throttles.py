"""Guessing limits: the token endpoint, the login pages and the signed webhook answer 429 with Retry-After."""

import hashlib
import hmac
import time

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.fixtures import make_user

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def token(username, password, address="10.0.0.1"):
    return APIClient(REMOTE_ADDR=address).post(TOKEN, {"username": username, "password": password}, format="json")


def test_the_token_endpoint_limits_guesses_at_one_username_from_many_addresses(org, owner):
    answers = [token("owner", f"guess-{i}", address=f"10.0.1.{i}").status_code for i in range(10)]
    assert answers == [400] * 10
    blocked = token("owner", "pw-123456", address="10.0.1.99")  # even the right password waits
    assert blocked.status_code == 429 and blocked.json()["code"] == "throttled"
    assert 0 < int(blocked["Retry-After"]) <= 60
    # Another account is not held up by the guesses at this one.
    make_user("other", org, "staff")
    assert token("other", "pw-123456", address="10.0.1.99").status_code == 200


def test_the_token_endpoint_limits_one_address_across_usernames(db):
    answers = [token(f"user{i}", "x", address="10.0.2.1").status_code for i in range(30)]
    assert answers == [400] * 30
    blocked = token("user-next", "x", address="10.0.2.1")
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    assert token("user-next", "x", address="10.0.2.2").status_code == 400  # another address is counted apart


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_the_login_pages_limit_guesses(owner, path):
    owner.is_staff = True
    owner.save()
    browser = Client(REMOTE_ADDR="10.0.3.1")
    for i in range(10):
        assert browser.post(path, {"username": "owner", "password": f"guess-{i}"}).status_code == 200
    blocked = browser.post(path, {"username": "owner", "password": "pw-123456"})
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    assert b"Too many sign-in attempts" in blocked.content
    assert "_auth_user_id" not in browser.session


def test_the_login_page_signs_in_below_the_limit(owner):
    browser = Client(REMOTE_ADDR="10.0.3.2")
    assert browser.post("/login/", {"username": "owner", "password": "wrong"}).status_code == 200
    assert browser.post("/login/", {"username": "owner", "password": "pw-123456"}).status_code == 302
    assert browser.session["_auth_user_id"] == str(owner.pk)


def test_the_signed_webhook_limits_callers_by_address(settings):
    settings.WEBHOOK_SECRET = "s3cret"
    client = APIClient(REMOTE_ADDR="10.0.4.1")
    stamp = str(int(time.time()))
    bad = {"HTTP_X_GYM_TIMESTAMP": stamp, "HTTP_X_GYM_SIGNATURE": "sha256=" + "0" * 64}
    answers = [client.post("/api/v1/gym/webhooks/streak-reset", {"organization": "x"}, format="json", **bad).status_code
               for _ in range(30)]
    assert answers == [401] * 30
    body = b'{"organization": "x"}'
    signature = "sha256=" + hmac.new(b"s3cret", stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    blocked = client.post("/api/v1/gym/webhooks/streak-reset", body, content_type="application/json",
                          HTTP_X_GYM_TIMESTAMP=stamp, HTTP_X_GYM_SIGNATURE=signature)
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
