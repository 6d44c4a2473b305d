"""The gym's engine rules are its channel policy (gamification.plugins.GYM_POLICY), declared in
ready(): they govern the gym's doors and, in a gym, the engine's generic API and device batches;
nothing is written into the organization's settings."""

from datetime import timedelta

import pytest
import time_machine

from attendance import policies
from attendance.models import CheckIn
from gamification.tests.conftest import madrid

pytestmark = pytest.mark.django_db
T0 = madrid(2026, 6, 10, 9, 0)


def test_configuring_a_gym_writes_no_engine_rule_into_settings(org, gym):
    org.refresh_from_db()
    assert "on_open_session" not in org.settings
    assert "duplicate_scan_seconds" not in org.settings
    assert policies.policy_for("gym").on_open_session == "close_and_reopen"


def test_the_generic_api_in_a_gym_follows_the_gym_policy(org, gym, kiosk, make_member):
    member = make_member("Gina")
    with time_machine.travel(T0, tick=False):
        first = kiosk.post("/api/v1/check-ins/", {"attendee_id": member.pk}, format="json")
    assert first.status_code == 201
    # Three hours later (past anti-passback) the visit is still open: a gym closes it and opens a
    # new one, where the engine's default would refuse `already_checked_in`.
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        second = kiosk.post("/api/v1/check-ins/", {"attendee_id": member.pk}, format="json")
    assert second.status_code == 201, second.json()
    previous = CheckIn.objects.get(pk=first.json()["id"])
    assert previous.checked_out_at == T0 + timedelta(hours=3)
    assert CheckIn.objects.filter(attendee_id=member.pk, checked_out_at__isnull=True).count() == 1


def test_outside_a_gym_the_generic_api_keeps_the_engine_default(org, kiosk, member):
    with time_machine.travel(T0, tick=False):
        assert kiosk.post("/api/v1/check-ins/", {"attendee_id": member.pk}, format="json").status_code == 201
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        again = kiosk.post("/api/v1/check-ins/", {"attendee_id": member.pk}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "already_checked_in"
