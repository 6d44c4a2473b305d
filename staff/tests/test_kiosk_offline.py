"""The lobby kiosk offline: its manifest (scoped to the hotel's kiosk keys, no raw credential) and the
push of the clocks it queued (through the staff clock, at their own times, each event once)."""

import base64
import hashlib
import hmac
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from attendance.models import CheckIn
from organizations.models import Organization
from organizations.services import device_key_create
from staff import kiosk, services
from staff.models import Staff

pytestmark = pytest.mark.django_db

PBKDF2 = ["django.contrib.auth.hashers.PBKDF2PasswordHasher", "django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tablet(hotel):
    _, raw = device_key_create(organization=hotel, name="Lobby tablet", kind="kiosk")
    return Client(HTTP_AUTHORIZATION=f"Device {raw}")


def manifest(client, slug="acme"):
    return client.get(f"/hotel/{slug}/kiosk/manifest")


def push(client, items, slug="acme"):
    return client.post(f"/hotel/{slug}/kiosk/push", {"items": items}, content_type="application/json")


def test_the_manifest_answers_only_a_kiosk_key_of_that_hotel(tablet, hotel, worker_staff):
    kiosk.kiosk_credentials_set(staff=worker_staff, pin="4321")
    assert manifest(tablet).status_code == 200
    other = Organization.objects.create(name="Other hotel", slug="other")
    _, other_raw = device_key_create(organization=other, name="Their tablet", kind="kiosk")
    assert manifest(Client(HTTP_AUTHORIZATION=f"Device {other_raw}")).status_code == 404
    assert manifest(Client(HTTP_AUTHORIZATION=f"Device {other_raw}"), slug="other").json()["staff"] == []
    _, scanner = device_key_create(organization=hotel, name="Door", kind="scanner")
    assert manifest(Client(HTTP_AUTHORIZATION=f"Device {scanner}")).status_code == 404
    assert manifest(Client()).status_code == 404


def test_the_manifest_holds_hashes_the_device_can_check_and_no_raw_credential(tablet, hotel, worker_staff,
                                                                              colleague_staff, settings):
    settings.PASSWORD_HASHERS = PBKDF2
    kiosk.kiosk_credentials_set(staff=worker_staff, pin="4321", badge="BADGE-77")
    settings.PASSWORD_HASHERS = PBKDF2[1:]
    kiosk.kiosk_credentials_set(staff=colleague_staff, pin="9876")  # another hasher: needs the network
    services.staff_clock_in(staff=colleague_staff, method="kiosk")
    Staff.objects.filter(pk=colleague_staff.pk).update(kiosk_locked_until=timezone.now() + timedelta(minutes=5))

    response = manifest(tablet)
    body = response.content.decode()
    assert "4321" not in body and "9876" not in body and "BADGE-77" not in body
    data = response.json()
    people = {person["id"]: person for person in data["staff"]}
    wanda, carl = people[worker_staff.pk], people[colleague_staff.pk]
    assert wanda["name"] == "Wanda Worker" and wanda["on_duty"] is False and wanda["locked_until"] is None
    # The badge: HMAC-SHA256 of what the scanner types, under the key the manifest carries.
    key = bytes.fromhex(data["badge"]["key"])
    assert wanda["badge"] == hmac.new(key, b"BADGE-77", hashlib.sha256).hexdigest()
    # The PIN: pbkdf2_sha256$<iterations>$<salt>$<base64 hash>, checkable with PBKDF2 alone.
    algorithm, iterations, salt, digest = wanda["pin_hash"].split("$")
    assert algorithm == "pbkdf2_sha256"
    assert base64.b64encode(hashlib.pbkdf2_hmac("sha256", b"4321", salt.encode(), int(iterations))).decode() == digest
    assert carl["pin_hash"] is None and carl["has_pin"] is True and carl["badge"] is None
    assert carl["on_duty"] is True and carl["locked_until"] is not None


def test_push_records_each_clock_at_its_own_time_once(tablet, worker_staff):
    clock_in_at = timezone.now() - timedelta(minutes=30)
    clock_out_at = timezone.now() - timedelta(minutes=10)
    items = [  # sent out of order: applied in time order
        {"event_id": "ev-2", "staff_id": worker_staff.pk, "action": "clock_out", "at": clock_out_at.isoformat()},
        {"event_id": "ev-1", "staff_id": worker_staff.pk, "action": "clock_in", "at": clock_in_at.isoformat()},
    ]
    first = push(tablet, items)
    assert first.status_code == 200
    assert [r["status"] for r in first.json()["results"]] == ["recorded", "recorded"]
    row = CheckIn.objects.get()
    assert row.checked_in_at == clock_in_at and row.checked_out_at == clock_out_at
    assert row.method == "kiosk" and row.source == "staff"
    again = push(tablet, items)
    assert [r["status"] for r in again.json()["results"]] == ["duplicate", "duplicate"]
    assert CheckIn.objects.count() == 1


def test_push_answers_conflicts_and_bad_items_one_by_one(tablet, worker_staff, colleague_staff):
    # Clocked in by a manager before the kiosk, offline, clocked her in again.
    services.staff_clock_in(staff=worker_staff, method="web", at=timezone.now() - timedelta(minutes=20))
    at = (timezone.now() - timedelta(minutes=5)).isoformat()
    results = push(tablet, [
        {"event_id": "a", "staff_id": worker_staff.pk, "action": "clock_in", "at": at},
        {"event_id": "b", "staff_id": colleague_staff.pk, "action": "clock_out", "at": at},
        {"event_id": "c", "staff_id": 999999, "action": "clock_in", "at": at},
        {"event_id": "d", "staff_id": colleague_staff.pk, "action": "dance", "at": at},
        {"staff_id": colleague_staff.pk, "action": "clock_in", "at": at},
        {"event_id": "e", "staff_id": colleague_staff.pk, "action": "clock_in",
         "at": (timezone.now() + timedelta(hours=1)).isoformat()},
    ]).json()["results"]
    assert [(r["status"], r["code"]) for r in results] == [
        ("refused", "already_on_duty"), ("refused", "not_on_duty"), ("refused", "staff_not_found"),
        ("invalid", "invalid"), ("invalid", "invalid"), ("refused", "time_in_future")]
    assert results[0]["name"] == "Wanda Worker" and results[0]["detail"] == "Wanda Worker is already on duty."
    assert results[3]["event_id"] == "d" and results[4]["event_id"] is None
    assert CheckIn.objects.count() == 1


def test_push_needs_the_hotel_kiosk_key_and_a_list(tablet, worker_staff):
    item = {"event_id": "x", "staff_id": worker_staff.pk, "action": "clock_in", "at": timezone.now().isoformat()}
    assert push(Client(), [item]).status_code == 404
    assert push(tablet, [item], slug="nowhere").status_code == 404
    bad = tablet.post("/hotel/acme/kiosk/push", {"items": "no"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    assert not CheckIn.objects.exists()


def test_the_service_worker_is_served_under_the_kiosk_path():
    response = Client().get("/hotel/acme/kiosk/sw.js")
    assert response.status_code == 404  # no such hotel yet


def test_the_service_worker_of_a_hotel(hotel):
    response = Client().get("/hotel/acme/kiosk/sw.js")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/javascript")
    assert "kiosk\\u002Dacme" in response.content.decode()  # the cache name, escaped for JS
