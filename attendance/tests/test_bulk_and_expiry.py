"""Offline batches from devices, and the auto check-out of expired sessions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from attendance import events, services
from attendance.models import CheckIn, Member, MonthlyRollup

pytestmark = pytest.mark.django_db


def test_bulk_batch_is_idempotent_by_event_id_and_safe_out_of_order(kiosk, member, org):
    t0 = timezone.now().replace(microsecond=0) - timedelta(hours=3)
    items = [
        # the check-out is listed first: the batch is applied in time order
        {"action": "check_out", "attendee_id": member.pk, "at": (t0 + timedelta(minutes=50)).isoformat(), "event_id": "e2"},
        {"action": "check_in", "attendee_id": member.pk, "at": t0.isoformat(), "event_id": "e1", "method": "rfid"},
        {"action": "check_in", "attendee_id": 999999, "at": t0.isoformat(), "event_id": "e3"},
    ]
    first = kiosk.post("/api/v1/check-ins/bulk/", {"items": items}, format="json")
    assert first.status_code == 200, first.json()
    results = first.json()["results"]
    assert [r["status"] for r in results] == ["recorded", "recorded", "refused"]
    assert results[2]["code"] == "attendee_not_found"
    row = CheckIn.objects.get()
    assert row.checked_in_at == t0
    assert row.duration == timedelta(minutes=50)
    assert row.method == "rfid"

    replay = kiosk.post("/api/v1/check-ins/bulk/", {"items": items}, format="json").json()
    assert [r["status"] for r in replay["results"]] == ["duplicate", "duplicate", "refused"]
    assert replay["summary"] == {"duplicate": 2, "refused": 1}
    assert CheckIn.objects.count() == 1
    member.refresh_from_db()
    assert member.total_visits == 1


def test_bulk_rejects_an_empty_or_malformed_batch(kiosk):
    assert kiosk.post("/api/v1/check-ins/bulk/", {"items": []}, format="json").json()["code"] == "invalid"
    bad = kiosk.post("/api/v1/check-ins/bulk/", {"items": [{"action": "jump", "at": "x", "event_id": "1"}]}, format="json")
    assert bad.status_code == 200  # one bad item is answered on its own (test_offline_batches)
    assert bad.json()["results"][0]["status"] == "invalid"


def _open_session(org, member, checked_in_at, expected):
    return services.check_in(organization=org, attendee=member, at=checked_in_at, expected_checkout_at=expected).check_in


def test_checkout_expired_closes_at_expected_time_in_batches(org, django_capture_on_commit_callbacks):
    now = timezone.now().replace(microsecond=0)
    members = [Member.objects.create(organization=org, first_name=f"M{i}") for i in range(7)]
    for i, member in enumerate(members[:5]):
        _open_session(org, member, now - timedelta(hours=3), now - timedelta(minutes=10 * (i + 1)))
    _open_session(org, members[5], now - timedelta(hours=1), now + timedelta(hours=1))  # not expired yet
    _open_session(org, members[6], now - timedelta(hours=1), None)  # no expected time: left alone
    received = []

    def on_closed(sender, check_in_ids, **kwargs):
        received.extend(check_in_ids)

    events.session_auto_closed.connect(on_closed)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            closed = services.checkout_expired(organization=org, before=now, limit=2)
    finally:
        events.session_auto_closed.disconnect(on_closed)
    assert closed == 5
    assert len(received) == 5
    for row in CheckIn.objects.filter(auto_closed=True):
        assert row.checked_out_at == row.expected_checkout_at
        assert row.duration == row.expected_checkout_at - row.checked_in_at
    assert CheckIn.objects.filter(checked_out_at__isnull=True).count() == 2
    for member in members[:5]:
        member.refresh_from_db()
        assert member.session_active is False
    seconds = sum(MonthlyRollup.objects.values_list("seconds_present", flat=True))
    assert seconds == sum(int(r.duration.total_seconds()) for r in CheckIn.objects.filter(auto_closed=True))
    # Running it again finds nothing.
    assert services.checkout_expired(organization=org, before=now) == 0


def test_checkout_expired_can_target_one_attendee_model(org, member):
    from organizations.models import User

    now = timezone.now()
    _open_session(org, member, now - timedelta(hours=2), now - timedelta(hours=1))
    assert services.checkout_expired(organization=org, before=now, target_model=Member) == 1
    with pytest.raises(Exception) as error:
        services.checkout_expired(organization=org, before=now, target_model=User)
    assert getattr(error.value, "code", "") == "unknown_attendee_type"


def test_checkout_expired_command_prints_a_summary(org, member):
    from io import StringIO

    from django.core.management import call_command

    now = timezone.now()
    _open_session(org, member, now - timedelta(hours=2), now - timedelta(minutes=1))
    out = StringIO()
    call_command("checkout_expired", stdout=out)
    assert "acme: 1 session(s) auto-closed" in out.getvalue()
    assert "Done: 1 session(s) auto-closed." in out.getvalue()
