"""The lobby kiosk without a network, in Chromium: it opens from its cache, checks a PIN and a badge
against its manifest, queues the clocks, and pushes them with their own times when the network is back."""

import re

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import expect

from attendance.models import CheckIn
from organizations.services import device_key_create
from staff import kiosk, services
from tests.contract.validation import openapi
from tests.fixtures import eventually

pytestmark = pytest.mark.browser


class QuickPBKDF2(PBKDF2PasswordHasher):
    """The same `pbkdf2_sha256$<iterations>$<salt>$<hash>` format with few iterations: a quick test."""

    iterations = 2000


@pytest.fixture(autouse=True)
def _pbkdf2_pins_and_patient_expectations(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.QuickPBKDF2", "django.contrib.auth.hashers.MD5PasswordHasher"]
    expect.set_options(timeout=20_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture
def kiosk_key(hotel, worker_staff):
    openapi()  # built here, before the live server answers its first request
    kiosk.kiosk_credentials_set(staff=worker_staff, pin="4321", badge="BADGE-77")
    return device_key_create(organization=hotel, name="Lobby tablet", kind="kiosk")[1]


def open_kiosk(browser, server, key):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server}/hotel/acme/kiosk/?key={key}")
    expect(page.locator("#kiosk")).to_have_attribute("data-offline-ready", "1")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_function("caches.open(document.getElementById('kiosk').dataset.cache)"
                           ".then((c) => c.match(location.href)).then(Boolean)")
    # Let the page's first requests (the cache fill, the first push) finish before the network is cut.
    page.wait_for_load_state("networkidle")
    return context, page


def go_offline(context, page):
    context.set_offline(True)
    page.reload()  # no network: the page comes from the service worker's cache
    expect(page.locator("#kiosk-status")).to_have_text(re.compile(r"^Offline — 0 queued — last sync \d\d:\d\d$"))
    expect(page.locator("#badge")).to_be_focused()


def pin_clock(page, name, pin):
    page.get_by_role("button", name=name).click()
    page.locator("#pin").fill(pin)
    page.keyboard.press("Enter")


def test_offline_pin_clock_in_and_badge_clock_out_reach_the_server_with_their_times(
        kiosk_key, asgi_live_server, browser, worker_staff, colleague_staff):
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        kiosk.kiosk_credentials_set(staff=colleague_staff, pin="9999")  # a PIN under another hasher
    context, page = open_kiosk(browser, asgi_live_server, kiosk_key)
    try:
        went_offline = timezone.now()
        go_offline(context, page)
        pin_clock(page, "Wanda Worker", "0000")
        expect(page.locator("#kiosk-result")).to_have_text("Wrong PIN.")
        pin_clock(page, "Wanda Worker", "4321")
        expect(page.locator("#kiosk-result")).to_have_text("Wanda Worker clocked in")
        expect(page.locator("#kiosk-status")).to_have_text(re.compile(r"^Offline — 1 queued — last sync \d\d:\d\d$"))
        page.keyboard.type("BADGE-77", delay=2)
        page.keyboard.press("Enter")
        expect(page.locator("#kiosk-result")).to_have_text("Wanda Worker clocked out")
        expect(page.locator("#kiosk-status")).to_have_text(re.compile(r"^Offline — 2 queued"))
        page.keyboard.type("NOT-A-BADGE", delay=2)
        page.keyboard.press("Enter")
        expect(page.locator("#kiosk-result")).to_contain_text("Unknown badge")
        pin_clock(page, "Carl Colleague", "9999")
        expect(page.locator("#kiosk-result")).to_have_text("Your PIN needs the network. Use your badge.")
        assert not CheckIn.objects.exists()

        back_online = timezone.now()
        context.set_offline(False)
        eventually(lambda: CheckIn.objects.filter(checked_out_at__isnull=False).exists())
        expect(page.locator("#kiosk-status")).to_have_text(re.compile(r"^Online — last sync \d\d:\d\d$"))
        expect(page.locator("#kiosk-conflicts")).to_be_hidden()
    finally:
        context.close()
    row = CheckIn.objects.get()
    assert row.method == "kiosk" and row.source == "staff" and row.attendee_id == worker_staff.pk
    assert went_offline < row.checked_in_at < row.checked_out_at < back_online  # the kiosk's times, not the push's


def test_a_clock_the_server_refuses_is_listed_for_a_manager(kiosk_key, asgi_live_server, browser, worker_staff):
    context, page = open_kiosk(browser, asgi_live_server, kiosk_key)
    try:
        go_offline(context, page)
        services.staff_clock_in(staff=worker_staff, method="web")  # a manager clocks her in meanwhile
        pin_clock(page, "Wanda Worker", "4321")
        expect(page.locator("#kiosk-result")).to_have_text("Wanda Worker clocked in")
        context.set_offline(False)
        conflicts = page.locator("#kiosk-conflicts")
        expect(conflicts).to_be_visible()
        expect(conflicts.locator("li")).to_have_text(
            re.compile(r"^Wanda Worker: clock in at \d\d:\d\d — Wanda Worker is already on duty\.$"))
        expect(page.locator("#kiosk-status")).to_have_text(re.compile(r"^Online — last sync"))
    finally:
        context.close()
    assert CheckIn.objects.get().method == "web"
