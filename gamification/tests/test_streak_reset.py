"""The nightly streak reset: rules, batching, idempotency, the beat schedule and the signed webhook."""

import hashlib
import hmac
import json
import time
from datetime import date, timedelta

import pytest
from django_celery_beat.models import PeriodicTask

from config.beat import install_schedules
from gamification import services, tasks
from gamification.models import ClosedDay, GymProfile
from organizations.models import Organization

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 11)  # a Wednesday


def state(member):
    return GymProfile.objects.get(member=member).current_streak


def with_streak(member, last, streak=5, freeze=None):
    GymProfile.objects.filter(member=member).update(last_checkin_date=last, current_streak=streak, streak_freeze_until=freeze)
    return member


def test_resets_only_broken_streaks_and_is_idempotent(org, gym, make_member, staff_member):
    yesterday = with_streak(make_member(), TODAY - timedelta(days=1))
    today = with_streak(make_member(), TODAY)
    broken = with_streak(make_member(), TODAY - timedelta(days=2))
    frozen = with_streak(make_member(), TODAY - timedelta(days=4), freeze=TODAY - timedelta(days=1))
    short_freeze = with_streak(make_member(), TODAY - timedelta(days=4), freeze=TODAY - timedelta(days=3))
    with_streak(staff_member, TODAY - timedelta(days=9))
    assert services.streak_reset(organization=org, today=TODAY, batch_size=2) == 2
    assert state(yesterday) == 5 and state(today) == 5 and state(frozen) == 5
    assert state(broken) == 0 and state(short_freeze) == 0
    assert state(staff_member) == 5  # staff have no streak to reset
    assert GymProfile.objects.get(member=frozen).streak_freeze_until == TODAY - timedelta(days=1)  # not consumed
    assert services.streak_reset(organization=org, today=TODAY) == 0


def test_closed_days_excuse_the_gap(org, gym, make_member):
    closed = with_streak(make_member(), TODAY - timedelta(days=3))
    ClosedDay.objects.create(gym=gym, date=TODAY - timedelta(days=1))
    ClosedDay.objects.create(gym=gym, date=TODAY - timedelta(days=2))
    assert services.streak_reset(organization=org, today=TODAY) == 0
    assert state(closed) == 5


def test_broken_streak_without_closed_day(org, gym, make_member):
    broken = with_streak(make_member(), TODAY - timedelta(days=2))
    assert services.streak_reset(organization=org, today=TODAY) == 1
    assert state(broken) == 0
    assert GymProfile.objects.get(member=broken).longest_streak == 0  # untouched by the reset


def test_weekly_closure_and_reactivation_excuse(org, gym, make_member):
    services.gym_configure(organization=org, closed_weekdays=[1])  # Tuesdays (10 March)
    tuesday_gap = with_streak(make_member(), TODAY - timedelta(days=2))
    assert services.streak_reset(organization=org, today=TODAY) == 0
    assert state(tuesday_gap) == 5
    services.gym_configure(organization=org, closed_weekdays=[])
    services.gym_configure(organization=org, gamification_enabled=False)
    assert services.streak_reset(organization=org, today=TODAY) == 0  # switched off: nothing moves
    services.gym_configure(organization=org, gamification_enabled=True)  # reactivated now (real today)
    long_gap = with_streak(make_member(), date.today() - timedelta(days=20))
    assert services.streak_reset(organization=org) == 0
    assert state(long_gap) == 5


def test_many_members_in_batches(org, gym, make_member):
    members = [with_streak(make_member(), TODAY - timedelta(days=3)) for _ in range(7)]
    assert services.streak_reset(organization=org, today=TODAY, batch_size=3) == 7
    assert all(state(m) == 0 for m in members)


def test_task_tolerates_missing_gym_and_runs_the_service(org, gym, make_member):
    member = with_streak(make_member(), date.today() - timedelta(days=5))
    assert tasks.streak_reset.delay(organization_id=org.pk).get() == 1
    assert state(member) == 0
    assert tasks.streak_reset.delay(organization_id=999_999).get() == 0


def test_one_beat_entry_per_gym_at_its_local_midnight(org, other_org, gym):
    services.gym_configure(organization=other_org)
    install_schedules()
    entries = {t.name: t for t in PeriodicTask.objects.filter(name__startswith="gamification:")}
    assert set(entries) == {"gamification: streak reset acme", "gamification: streak reset other"}
    acme = entries["gamification: streak reset acme"]
    assert acme.task == "gamification.tasks.streak_reset"
    assert (acme.crontab.minute, acme.crontab.hour, str(acme.crontab.timezone)) == ("0", "0", "Europe/Madrid")
    assert json.loads(acme.kwargs) == {"organization_id": org.pk}
    assert str(entries["gamification: streak reset other"].crontab.timezone) == "America/New_York"


def test_gym_configure_reinstalls_schedules_on_commit(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.gym_configure(organization=org)
    assert PeriodicTask.objects.get(name="gamification: streak reset acme").enabled
    Organization.objects.filter(pk=org.pk).update(time_zone="Asia/Tokyo")
    org.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.gym_configure(organization=org)
    assert str(PeriodicTask.objects.get(name="gamification: streak reset acme").crontab.timezone) == "Asia/Tokyo"


# --- webhook -------------------------------------------------------------------------------------

SECRET = "whsec-test-123"


def signed_post(client, body: dict, *, secret=SECRET, timestamp=None):
    raw = json.dumps(body).encode()
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = "sha256=" + hmac.new(secret.encode(), ts.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return client.post(
        "/api/v1/gym/webhooks/streak-reset", raw, content_type="application/json",
        HTTP_X_GYM_TIMESTAMP=ts, HTTP_X_GYM_SIGNATURE=signature,
    )


@pytest.fixture
def webhook_secret(settings):
    settings.WEBHOOK_SECRET = SECRET


def test_webhook_runs_the_reset_with_a_valid_signature(client, webhook_secret, org, gym, make_member):
    member = with_streak(make_member(), TODAY - timedelta(days=3))
    response = signed_post(client, {"organization": "acme", "date": TODAY.isoformat()})
    assert response.status_code == 200, response.json()
    assert response.json() == {"organization": "acme", "date": "2026-03-11", "reset": 1}
    assert state(member) == 0


def test_webhook_refuses_bad_stale_and_replayed_requests(client, webhook_secret, org, gym):
    assert signed_post(client, {"organization": "acme"}, secret="wrong").json()["code"] == "bad_signature"
    stale = signed_post(client, {"organization": "acme"}, timestamp=int(time.time()) - 3600)
    assert (stale.status_code, stale.json()["code"]) == (401, "stale_timestamp")
    raw = json.dumps({"organization": "acme"}).encode()
    ts = str(int(time.time()))
    sig = "sha256=" + hmac.new(SECRET.encode(), ts.encode() + b"." + raw, hashlib.sha256).hexdigest()
    headers = {"HTTP_X_GYM_TIMESTAMP": ts, "HTTP_X_GYM_SIGNATURE": sig}
    url = "/api/v1/gym/webhooks/streak-reset"
    assert client.post(url, raw, content_type="application/json", **headers).status_code == 200
    assert client.post(url, raw, content_type="application/json", **headers).json()["code"] == "replayed"
    tampered = client.post(url, json.dumps({"organization": "other"}).encode(), content_type="application/json", **headers)
    assert tampered.json()["code"] == "bad_signature"
    assert signed_post(client, {"organization": "nope"}).status_code == 404


def test_webhook_disabled_without_secret(client, settings, gym):
    settings.WEBHOOK_SECRET = ""
    assert signed_post(client, {"organization": "acme"}).status_code == 503
