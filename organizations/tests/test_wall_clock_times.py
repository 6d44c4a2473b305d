"""A date-time without an offset is the organization's local time, in every API body and filter;
a wall-clock time the organization's clocks skip is refused."""

from datetime import UTC, datetime

import pytest
import time_machine

from attendance.models import CheckIn
from gamification.models import GymProfile
from organizations.models import Organization, Role
from tests.fixtures import client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_york_desk(db):
    from gamification import services

    gym = Organization.objects.create(name="Bronx Barbell", slug="bronx", time_zone="America/New_York")
    services.gym_configure(organization=gym)
    return gym, client_for(make_user("ny-desk", gym, Role.RECEPTIONIST))


def test_a_new_york_gyms_expiry_without_an_offset_is_new_york_midnight(new_york_desk):
    gym, desk = new_york_desk
    created = desk.post("/api/v1/gym/members", {"first_name": "Nia", "expires_at": "2026-12-01T00:00:00"}, format="json")
    assert created.status_code == 201, created.json()
    profile = GymProfile.objects.get(member__first_name="Nia")
    assert profile.expires_at == datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # EST is UTC-5
    # With an offset the value is taken as given.
    changed = desk.put(f"/api/v1/gym/members/{profile.member_id}/subscription",
                       {"subscription_status": "active", "expires_at": "2026-12-01T00:00:00+00:00"}, format="json")
    assert changed.status_code == 200, changed.json()
    profile.refresh_from_db()
    assert profile.expires_at == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def test_the_member_is_let_in_until_local_midnight(new_york_desk):
    gym, desk = new_york_desk
    desk.post("/api/v1/gym/members", {"first_name": "Nia", "expires_at": "2026-12-01T00:00:00"}, format="json")
    member_id = GymProfile.objects.get(member__first_name="Nia").member_id
    # 23:30 on 30 November in New York is already 1 December in UTC.
    with time_machine.travel(datetime(2026, 12, 1, 4, 30, tzinfo=UTC), tick=False):
        entry = desk.post("/api/v1/gym/checkin", {"user_id": member_id}, format="json")
    assert entry.status_code == 201, entry.json()


def test_summer_time_days_in_new_york(new_york_desk):
    gym, desk = new_york_desk
    # 8 March 2026: clocks jump from 02:00 to 03:00, so 02:30 never happens there.
    skipped = desk.post("/api/v1/gym/members", {"first_name": "Sky", "expires_at": "2026-03-08T02:30:00"}, format="json")
    assert skipped.status_code == 400 and "expires_at" in skipped.json()["errors"]
    after = desk.post("/api/v1/gym/members", {"first_name": "Eda", "expires_at": "2026-03-08T03:30:00"}, format="json")
    assert after.status_code == 201
    assert GymProfile.objects.get(member__first_name="Eda").expires_at == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # EDT
    # 1 November 2026: 01:30 happens twice; the first (EDT, UTC-4) is meant.
    twice = desk.post("/api/v1/gym/members", {"first_name": "Two", "expires_at": "2026-11-01T01:30:00"}, format="json")
    assert twice.status_code == 201
    assert GymProfile.objects.get(member__first_name="Two").expires_at == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_engine_bodies_and_filters_follow_the_same_rule(org, owner_client, member):
    # org is Madrid (CET, UTC+1 in January).
    made = owner_client.post("/api/v1/check-ins/", {"attendee_id": member.pk, "at": "2026-01-15T09:00:00"}, format="json")
    assert made.status_code == 201, made.json()
    assert CheckIn.objects.get().checked_in_at == datetime(2026, 1, 15, 8, 0, tzinfo=UTC)
    assert made.json()["checked_in_at"].startswith("2026-01-15T08:00:00")  # answers stay in UTC
    listed = owner_client.get("/api/v1/check-ins/", {"since": "2026-01-15T09:00:00"}).json()["results"]
    assert [row["id"] for row in listed] == [made.json()["id"]]
    later = owner_client.get("/api/v1/check-ins/", {"since": "2026-01-15T09:00:01"}).json()["results"]
    assert later == []
    skipped = owner_client.get("/api/v1/check-ins/", {"since": "2026-03-29T02:30:00"})  # Madrid skips 02:00-03:00
    assert skipped.status_code == 400
    assert owner_client.get("/api/v1/check-ins/", {"since": "2026-02-30T10:00:00"}).status_code == 400


def test_the_admin_shows_and_reads_a_rows_times_in_its_organizations_zone(new_york_desk, client):
    from django.contrib.auth import get_user_model

    gym, desk = new_york_desk
    desk.post("/api/v1/gym/members", {"first_name": "Nia", "expires_at": "2026-12-01T00:00:00"}, format="json")
    profile = GymProfile.objects.get(member__first_name="Nia")
    client.force_login(get_user_model().objects.create_superuser("root", password="pw-123456"))
    page = client.get(f"/admin/gamification/gymprofile/{profile.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert form["expires_at"].value() == datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    assert b'value="2026-12-01"' in page.content and b'value="00:00:00"' in page.content  # New York midnight
