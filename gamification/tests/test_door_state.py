"""One definition of a member's state (gamification.plugins.door_state): the desk's search, the member
cards and the door agree, in the gym's own time zone (issue 18, point 12)."""

from datetime import datetime, timezone

import pytest
import time_machine
from django.test import Client

from gamification.models import SubscriptionStatus
from gamification.tests.conftest import madrid
from tests.fixtures import client_for

pytestmark = pytest.mark.django_db

UTC = timezone.utc


@pytest.fixture
def desk(colleague, gym):
    return client_for(colleague)


@pytest.fixture
def cards_page(colleague, gym, org):
    def get():
        browser = Client()
        browser.force_login(colleague)
        return browser.get(f"/gym/{org.slug}/cards/").content.decode()
    return get


def search_state(desk, name):
    [row] = desk.get("/api/v1/gym/members", {"q": name}, HTTP_X_ORGANIZATION="acme").json()["results"]
    return row["door_state"]


@time_machine.travel(madrid(2026, 3, 10, 9, 0), tick=False)
def test_an_expired_subscription_reads_expired_on_desk_cards_and_door(desk, cards_page, make_member):
    expired = make_member("Ernesto", status=SubscriptionStatus.ACTIVE, expires_at=madrid(2026, 3, 9, 18, 0))
    current = make_member("Carla", status=SubscriptionStatus.ACTIVE, expires_at=madrid(2026, 4, 1))
    paused = make_member("Pablo", status=SubscriptionStatus.PAUSED, expires_at=madrid(2026, 4, 1))

    assert search_state(desk, "Ernesto") == "expired"
    assert search_state(desk, "Carla") == "active"
    assert search_state(desk, "Pablo") == "paused"
    html = cards_page()
    assert f'data-id="{expired.pk}" data-state="expired"' in html and "Expired" in html
    assert f'data-id="{current.pk}" data-state="active"' in html

    refused = desk.post("/api/v1/gym/checkin", {"user_id": expired.pk}, format="json", HTTP_X_ORGANIZATION="acme")
    assert refused.status_code == 409 and refused.json()["code"] == "subscription_expired"
    assert refused.json()["member"]["door_state"] == "expired"
    admitted = desk.post("/api/v1/gym/checkin", {"user_id": current.pk}, format="json", HTTP_X_ORGANIZATION="acme")
    assert admitted.status_code == 201 and admitted.json()["member"]["door_state"] == "active"
    assert desk.post("/api/v1/gym/checkin", {"user_id": paused.pk}, format="json",
                     HTTP_X_ORGANIZATION="acme").json()["code"] == "subscription_inactive"


def test_the_day_of_expiry_is_the_gyms_local_day_across_the_clock_change(desk, make_member):
    """Madrid springs forward on 29 March 2026: an end at 00:30 local on the 29th is still the 28th in UTC."""
    member = make_member("Dora", status=SubscriptionStatus.ACTIVE, expires_at=datetime(2026, 3, 28, 23, 30, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 3, 28, 22, 30, tzinfo=UTC), tick=False):  # 23:30 on the 28th in Madrid
        assert search_state(desk, "Dora") == "active"
        assert desk.post("/api/v1/gym/checkin", {"user_id": member.pk}, format="json", HTTP_X_ORGANIZATION="acme").status_code == 201
    with time_machine.travel(datetime(2026, 3, 29, 1, 30, tzinfo=UTC), tick=False):  # 03:30 CEST on the 29th
        assert search_state(desk, "Dora") == "expired"
