"""The lobby kiosk in Chromium: a PIN clock-in, then a badge clock-out typed by a scanner."""

import pytest
from playwright.sync_api import expect

from attendance.models import CheckIn
from organizations.services import device_key_create
from staff import kiosk
from tests.contract.validation import openapi

pytestmark = pytest.mark.browser


@pytest.fixture
def kiosk_key(hotel, worker_staff):
    openapi()  # built here, before the live server answers its first request
    kiosk.kiosk_credentials_set(staff=worker_staff, pin="4321", badge="BADGE-77")
    return device_key_create(organization=hotel, name="Lobby tablet", kind="kiosk")[1]


def test_pin_clock_in_and_badge_clock_out(kiosk_key, asgi_live_server, browser, worker_staff):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{asgi_live_server}/hotel/acme/kiosk/?key={kiosk_key}")
        expect(page.locator("#badge")).to_be_focused()
        page.get_by_role("button", name="Wanda Worker").click()
        page.locator("#pin").fill("4321")
        page.keyboard.press("Enter")
        expect(page.locator("#kiosk-result")).to_have_text("Wanda Worker clocked in")
        expect(page.locator("#badge")).to_be_focused()
        page.keyboard.type("BADGE-77", delay=2)
        page.keyboard.press("Enter")
        expect(page.locator("#kiosk-result")).to_have_text("Wanda Worker clocked out")
        page.get_by_role("button", name="Wanda Worker").click()
        page.locator("#pin").fill("0000")
        page.keyboard.press("Enter")
        expect(page.locator("#kiosk-result")).to_have_text("Wrong PIN.")
    finally:
        context.close()
    row = CheckIn.objects.get()
    assert row.method == "kiosk" and row.checked_out_at is not None
