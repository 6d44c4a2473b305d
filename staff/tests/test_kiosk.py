"""The lobby kiosk: a kiosk device key, clock by badge or PIN through the staff clock, PIN lock-out."""

import pytest
from django.test import Client

from attendance.models import CheckIn
from config.errors import DomainError
from organizations.services import device_key_create
from staff import kiosk
from staff.models import Staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def device(hotel):
    return device_key_create(organization=hotel, name="Lobby tablet", kind="kiosk")


@pytest.fixture
def tablet(device):
    _, raw = device
    return Client(HTTP_AUTHORIZATION=f"Device {raw}")


def clock(client, body, slug="acme"):
    return client.post(f"/hotel/{slug}/kiosk/clock", body, content_type="application/json")


def test_pin_clock_in_and_badge_clock_out_go_through_the_staff_clock(tablet, device, worker_staff, colleague_staff):
    kiosk.kiosk_credentials_set(staff=worker_staff, pin="4321", badge="BADGE-0007")
    page = Client().get(f"/hotel/acme/kiosk/?key={device[1]}")
    assert page.status_code == 200 and worker_staff.full_name in page.content.decode()
    assert colleague_staff.full_name not in page.content.decode()  # no PIN, not listed

    first = clock(tablet, {"staff_id": worker_staff.pk, "pin": "4321"})
    assert first.status_code == 200 and first.json()["is_on_duty"] is True
    second = clock(tablet, {"badge": "BADGE-0007"})
    assert second.status_code == 200 and second.json()["is_on_duty"] is False
    row = CheckIn.objects.get()
    assert row.source == "staff" and row.method == "kiosk" and row.device_id == device[0].pk
    assert row.checked_out_at is not None


def test_credentials_are_stored_hashed(worker_staff, hotel):
    kiosk.kiosk_credentials_set(staff=worker_staff, pin="135790", badge="RAW-BADGE-1")
    stored = Staff.objects.get(pk=worker_staff.pk)
    assert "135790" not in stored.kiosk_pin and stored.kiosk_pin.count("$") >= 1
    assert stored.kiosk_badge_hash == kiosk.badge_hash(hotel, "RAW-BADGE-1") and "RAW" not in stored.kiosk_badge_hash


def test_repeated_wrong_pins_lock_the_pin(tablet, worker_staff):
    kiosk.kiosk_credentials_set(staff=worker_staff, pin="4321")
    for _ in range(kiosk.MAX_FAILURES):
        assert clock(tablet, {"staff_id": worker_staff.pk, "pin": "0000"}).json()["code"] == "wrong_pin"
    locked = clock(tablet, {"staff_id": worker_staff.pk, "pin": "4321"})
    assert locked.status_code == 423 and locked.json()["code"] == "kiosk_locked"
    assert not CheckIn.objects.exists()
    kiosk.kiosk_credentials_set(staff=worker_staff, pin="2468")  # a manager sets a new PIN: unlocked
    assert clock(tablet, {"staff_id": worker_staff.pk, "pin": "2468"}).status_code == 200


def test_bad_input_and_other_hotels(tablet, worker_staff, colleague_staff, other_org):
    kiosk.kiosk_credentials_set(staff=worker_staff, pin="4321", badge="B1")
    with pytest.raises(DomainError) as taken:
        kiosk.kiosk_credentials_set(staff=colleague_staff, badge="B1")
    assert taken.value.code == "badge_taken"
    with pytest.raises(DomainError) as short:
        kiosk.kiosk_credentials_set(staff=colleague_staff, pin="12")
    assert short.value.code == "invalid_pin"
    assert clock(tablet, {"badge": "nope"}).json()["code"] == "unknown_badge"
    assert clock(tablet, {"pin": "4321"}).json()["code"] == "invalid"
    assert clock(Client(), {"badge": "B1"}).status_code == 404  # no key
    _, theirs = device_key_create(organization=other_org, name="Their tablet", kind="kiosk")
    assert clock(Client(HTTP_AUTHORIZATION=f"Device {theirs}"), {"badge": "B1"}).status_code == 404
    assert Client().get(f"/hotel/acme/kiosk/?key={theirs}").status_code == 404
    assert not CheckIn.objects.exists()


def test_a_manager_sets_the_pin_and_badge_in_the_admin(owner, worker_staff, tablet):
    admin = Client()
    admin.force_login(owner)
    url = f"/admin/staff/staff/{worker_staff.pk}/change/"
    form = admin.get(url)
    assert form.status_code == 200 and 'name="new_pin"' in form.content.decode()
    data = {"organization": worker_staff.organization_id, "first_name": "Wanda", "last_name": "Worker",
            "department": "Housekeeping", "position": "", "hourly_rate": "12.50", "is_active": "on",
            "attendance_enabled": "on", "new_pin": "9876", "new_badge": "ADMIN-BADGE",
            "user": worker_staff.user_id}
    shifts = "attendance-weeklyshift-attendee_type-attendee_id"
    data.update({f"{shifts}-TOTAL_FORMS": "0", f"{shifts}-INITIAL_FORMS": "0"})
    saved = admin.post(url, data)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert clock(tablet, {"staff_id": worker_staff.pk, "pin": "9876"}).json()["is_on_duty"] is True
    assert clock(tablet, {"badge": "ADMIN-BADGE"}).json()["is_on_duty"] is False


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_staff_member_sets_their_own_pin_on_the_staff_page(worker, worker_staff, tablet):
    client = signed_in(worker)
    page = client.get("/hotel/acme/")
    assert 'id="kiosk-pin-form"' in page.content.decode()
    response = client.post("/hotel/acme/kiosk-pin", {"pin": "2468"}, follow=True)
    assert response.redirect_chain[-1][0] == "/hotel/acme/" and "Your kiosk PIN is set." in response.content.decode()
    assert clock(tablet, {"staff_id": worker_staff.pk, "pin": "2468"}).json()["is_on_duty"] is True


def test_a_bad_own_pin_is_refused_and_nothing_changes(worker, worker_staff):
    kiosk.kiosk_credentials_set(staff=worker_staff, pin="4321")
    before = Staff.objects.get(pk=worker_staff.pk).kiosk_pin
    for bad in ("12", "123456789", "12ab"):
        response = signed_in(worker).post("/hotel/acme/kiosk-pin", {"pin": bad})
        assert response.status_code == 400 and "A PIN is 4 to 8 digits." in response.content.decode()
    assert Staff.objects.get(pk=worker_staff.pk).kiosk_pin == before


def test_only_a_signed_in_staff_member_sets_a_pin(colleague, worker_staff):
    assert signed_in(colleague).post("/hotel/acme/kiosk-pin", {"pin": "2468"}).status_code == 404  # no staff row
    anonymous = Client().post("/hotel/acme/kiosk-pin", {"pin": "2468"})
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    assert Staff.objects.get(pk=worker_staff.pk).kiosk_pin == ""
