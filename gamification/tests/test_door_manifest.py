"""The door manifest: scoped to the device's gym, no raw identifiers, delta refresh by cursor."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from gamification import services
from gamification.models import footprint_hash
from organizations.services import device_key_create
from tests.fixtures import client_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/gym/door-manifest"


@pytest.fixture
def door(org, gym):
    _, raw = device_key_create(organization=org, name="Main door", kind="terminal")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {raw}")
    return client


def expected_identifier(rules, value):
    key = bytes.fromhex(rules["identifier"]["key"])
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[: rules["identifier"]["hex_digits"]]


def test_the_manifest_lists_this_gyms_members_by_hashed_identifiers_only(door, make_member, other_org):
    gina = make_member("Gina")
    services.footprint_register(member=gina, footprint_id="FP-RAW-0042")
    services.gym_configure(organization=other_org)
    stranger = services.gym_member_create(organization=other_org, first_name="Stranger", subscription_status="active")
    response = door.get(URL)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [m["name"] for m in body["members"]] == ["Gina Test"]
    entry = body["members"][0]
    assert entry["qr"] == expected_identifier(body["rules"], f"GYM_QR_{gina.qr_token}")
    assert entry["footprint"] == expected_identifier(body["rules"], footprint_hash("FP-RAW-0042"))
    assert entry["subscription_status"] == "active" and entry["expires_at"] == "2029-12-31T23:00:00+00:00"
    text = json.dumps(body)
    for secret in (gina.qr_token, "FP-RAW-0042", footprint_hash("FP-RAW-0042"), stranger.qr_token, "Stranger"):
        assert secret not in text
    assert body["rules"]["anti_passback_seconds"] == {"qr": 7200, "manual": 7200, "biometric": 14400}
    assert body["rules"]["courtesy_needs_reason"] is True


def test_each_gym_hashes_with_its_own_key(door, other_org, org, make_member):
    make_member("Gina")
    services.gym_configure(organization=other_org)
    _, raw = device_key_create(organization=other_org, name="Their door", kind="terminal")
    theirs = APIClient()
    theirs.credentials(HTTP_AUTHORIZATION=f"Device {raw}")
    assert door.get(URL).json()["rules"]["identifier"]["key"] != theirs.get(URL).json()["rules"]["identifier"]["key"]


def test_another_gym_and_non_desk_roles_get_nothing(door, outsider_client, worker, colleague_client, make_member):
    make_member("Gina")
    assert outsider_client.get(URL, HTTP_X_ORGANIZATION="acme").status_code == 404
    assert client_for(worker).get(URL).status_code == 403
    assert colleague_client.get(URL).json()["members"][0]["name"] == "Gina Test"  # the desk itself


def test_delta_refresh_answers_what_changed_and_what_was_removed(door, make_member, org):
    gina, bob, carl = make_member("Gina"), make_member("Bob"), make_member("Carl")
    first = door.get(URL).json()
    assert first["full"] is True and len(first["members"]) == 3
    cursor = first["cursor"]
    same = door.get(URL, {"since": cursor}).json()
    assert same == {**same, "cursor": cursor, "full": False, "members": [], "removed": []}

    services.subscription_set(member=bob, status="cancelled", expires_at=None)
    carl_id = carl.pk
    carl.delete()
    dana = make_member("Dana")
    services.gym_check_in(organization=org, member=gina, access_method="qr", at=timezone.now() - timedelta(minutes=5))
    delta = door.get(URL, {"since": cursor}).json()
    assert delta["cursor"] > cursor
    changed = {m["id"]: m for m in delta["members"]}
    assert set(changed) == {gina.pk, bob.pk, dana.pk}
    assert changed[bob.pk]["subscription_status"] == "cancelled"
    assert changed[gina.pk]["last_entry_at"] is not None
    assert delta["removed"] == [carl_id]
    # The new cursor is stable: asking again from it answers nothing new.
    again = door.get(URL, {"since": delta["cursor"]}).json()
    assert again["cursor"] == delta["cursor"] and again["members"] == [] and again["removed"] == []
    # An older cursor still answers the whole difference.
    assert door.get(URL, {"since": cursor}).json()["removed"] == [carl_id]


def test_a_cursor_never_given_out_is_refused(door, make_member):
    make_member("Gina")
    cursor = door.get(URL).json()["cursor"]
    bad = door.get(URL, {"since": cursor + 5})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"
    assert door.get(URL, {"since": "abc"}).json()["code"] == "invalid"
