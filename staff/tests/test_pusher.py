"""Pusher through the real `pusher` library against a local server that checks signatures like Pusher."""

import hashlib
import hmac
import logging

import pytest

from staff.tests.pusher_server import PusherServer


@pytest.fixture
def pusher_server(settings):
    with PusherServer() as server:
        settings.PUSHER_APP_ID = server.app_id
        settings.PUSHER_KEY = server.key
        settings.PUSHER_SECRET = server.secret
        settings.PUSHER_CLUSTER = None
        settings.PUSHER_HOST = "127.0.0.1"
        settings.PUSHER_PORT = server.port
        settings.PUSHER_SSL = False
        settings.PUSHER_ENABLED = True
        settings.PUSHER_PRIVATE_CHANNELS = False
        yield server


def test_clock_event_reaches_pusher_with_the_exact_payload(pusher_server, worker_client, worker, worker_staff,
                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        body = worker_client.post("/api/staff/acme/clock/").json()
    clock_events = [e for e in pusher_server.events if e["name"] == "clock-status-updated"]
    assert clock_events == [{
        "name": "clock-status-updated",
        "channels": ["hotel-acme"],
        "data": {"user_id": worker.pk, "staff_id": worker_staff.pk, "is_on_duty": True,
                 "clock_time": body["clock_time"], "first_name": "Wanda", "last_name": "Worker",
                 "action": "clock_in"},
    }]
    assert pusher_server.rejected == []


def test_private_channels_option(pusher_server, settings, worker_client, worker_staff,
                                 django_capture_on_commit_callbacks):
    settings.PUSHER_PRIVATE_CHANNELS = True
    with django_capture_on_commit_callbacks(execute=True):
        worker_client.post("/api/staff/acme/clock/")
    assert [e["channels"] for e in pusher_server.events if e["name"] == "clock-status-updated"] == [["private-hotel-acme"]]


def test_the_fake_server_rejects_a_wrong_secret(pusher_server, settings, worker_client, worker_staff,
                                                django_capture_on_commit_callbacks):
    settings.PUSHER_SECRET = "not-the-secret"
    with django_capture_on_commit_callbacks(execute=True):
        assert worker_client.post("/api/staff/acme/clock/").status_code == 200
    assert pusher_server.events == [] and set(pusher_server.rejected) == {"invalid signature"}


@pytest.fixture
def celery_runs_retries_inline():
    """Eager tasks that do not propagate errors: Celery then runs each retry at once, in-process.

    (With the suite's task_eager_propagates=True the first failure propagates instead and the
    broadcaster logs it; that path is the next test.)
    """
    from config.celery import app

    previous = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = previous


def test_pusher_failing_then_recovering_is_retried_and_the_clock_succeeds(
        pusher_server, worker_client, worker_staff, caplog, celery_runs_retries_inline,
        django_capture_on_commit_callbacks):
    pusher_server.fail_event["clock-status-updated"] = 2
    with caplog.at_level(logging.WARNING, logger="organizations.tasks"), \
            django_capture_on_commit_callbacks(execute=True):
        response = worker_client.post("/api/staff/acme/clock/")
    assert response.status_code == 200 and response.json()["is_on_duty"] is True
    worker_staff.refresh_from_db()
    assert worker_staff.is_on_duty
    assert pusher_server.attempts_by_event["clock-status-updated"] == 3  # two 503s, then delivered
    assert [e["data"]["action"] for e in pusher_server.events if e["name"] == "clock-status-updated"] == ["clock_in"]
    failures = [r.getMessage() for r in caplog.records if "hotel-acme/clock-status-updated failed" in r.getMessage()]
    assert len(failures) == 2 and "(attempt 1 of 9)" in failures[0] and "(attempt 2 of 9)" in failures[1]


def test_pusher_down_for_good_gives_up_after_the_retries_and_logs_each(
        pusher_server, worker_client, worker_staff, caplog, celery_runs_retries_inline,
        django_capture_on_commit_callbacks):
    pusher_server.fail_event["clock-status-updated"] = 100
    with caplog.at_level(logging.WARNING, logger="organizations.tasks"), \
            django_capture_on_commit_callbacks(execute=True):
        assert worker_client.post("/api/staff/acme/clock/").status_code == 200
    assert pusher_server.attempts_by_event["clock-status-updated"] == 9  # the first try + 8 retries
    failures = [r.getMessage() for r in caplog.records if "hotel-acme/clock-status-updated failed" in r.getMessage()]
    assert len(failures) == 9 and "(attempt 9 of 9)" in failures[-1]
    worker_staff.refresh_from_db()
    assert worker_staff.is_on_duty


def test_pusher_unreachable_does_not_fail_the_clock_and_the_failure_is_visible(
        settings, worker_client, worker_staff, caplog, django_capture_on_commit_callbacks):
    with PusherServer() as server:
        port = server.port  # then closed: connections are refused
    settings.PUSHER_APP_ID, settings.PUSHER_KEY, settings.PUSHER_SECRET = "1", "k", "s"
    settings.PUSHER_CLUSTER, settings.PUSHER_HOST, settings.PUSHER_PORT = None, "127.0.0.1", port
    settings.PUSHER_SSL, settings.PUSHER_ENABLED = False, True
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        response = worker_client.post("/api/staff/acme/clock/")
    assert response.status_code == 200
    worker_staff.refresh_from_db()
    assert worker_staff.is_on_duty
    messages = [r.getMessage() for r in caplog.records]
    assert any("Pusher trigger hotel-acme/clock-status-updated failed (attempt 1 of" in m for m in messages)
    assert any("could not enqueue Pusher trigger for hotel-acme/clock-status-updated" in m for m in messages)


# --- private channel authentication -------------------------------------------------------------


def expected_auth(secret, key, socket_id, channel):
    signature = hmac.new(secret.encode(), f"{socket_id}:{channel}".encode(), hashlib.sha256).hexdigest()
    return {"auth": f"{key}:{signature}"}


def test_private_channel_auth_admits_only_the_hotels_users(pusher_server, settings, worker_client, outsider_client,
                                                           hotel, worker_staff):
    from rest_framework.test import APIClient

    from organizations.services import device_key_create

    settings.PUSHER_PRIVATE_CHANNELS = True
    body = {"socket_id": "123.456", "channel_name": "private-hotel-acme"}
    ok = worker_client.post("/api/staff/acme/pusher/auth/", body)  # form-encoded, as pusher-js sends it
    assert ok.status_code == 200
    assert ok.json() == expected_auth(pusher_server.secret, pusher_server.key, "123.456", "private-hotel-acme")

    assert outsider_client.post("/api/staff/acme/pusher/auth/", body).status_code == 404
    assert outsider_client.post("/api/staff/other/pusher/auth/", body).status_code == 403  # not their channel
    wrong = worker_client.post("/api/staff/acme/pusher/auth/", {**body, "channel_name": "private-hotel-other"})
    assert wrong.status_code == 403 and wrong.json()["code"] == "channel_forbidden"
    assert worker_client.post("/api/staff/acme/pusher/auth/", {**body, "socket_id": "x"}).status_code == 400
    assert APIClient().post("/api/staff/acme/pusher/auth/", body).status_code in (401, 403)

    _, display_key = device_key_create(organization=hotel, name="TV", kind="display")
    tv = APIClient()
    tv.credentials(HTTP_AUTHORIZATION=f"Device {display_key}")
    assert tv.post("/api/staff/acme/pusher/auth/", body).status_code == 200

    settings.PUSHER_PRIVATE_CHANNELS = False
    public = worker_client.post("/api/staff/acme/pusher/auth/", {**body, "channel_name": "hotel-acme"})
    assert public.status_code == 403  # public channels need no auth


def test_auth_endpoint_is_404_when_pusher_is_off(settings, worker_client, worker_staff):
    settings.PUSHER_ENABLED = False
    response = worker_client.post("/api/staff/acme/pusher/auth/", {"socket_id": "1.2", "channel_name": "private-hotel-acme"})
    assert response.status_code == 404 and response.json()["code"] == "pusher_not_configured"
