"""The front desk in Chromium: a keyboard-wedge scanner typing into the page, search and manual
check-in, courtesy with a reason, and a second desk following live over the WebSocket."""

import re

import pytest
from playwright.sync_api import expect

from gamification.models import GymProfile
from tests.fixtures import logged_in_context

pytestmark = pytest.mark.browser


def scanner(page, code):
    """A keyboard-wedge scanner: fast keystrokes, then Enter, into whatever has focus."""
    page.keyboard.type(code, delay=2)
    page.keyboard.press("Enter")


def test_front_desk_with_a_scanner(asgi_live_server, browser, org, gym, colleague, make_member, staff_member):
    ana = make_member("Ana", last_name="Scanner", email="ana@example.com", phone="+34 600 000 001")
    expired = make_member("Eddie", last_name="Expired", expires_at=None)
    desk_url = f"{asgi_live_server}/gym/{org.slug}/desk/"
    main = logged_in_context(browser, asgi_live_server, colleague)
    other = logged_in_context(browser, asgi_live_server, colleague)
    try:
        page = main.new_page()
        watcher = other.new_page()
        watcher.goto(desk_url)
        page.goto(desk_url)
        expect(page.locator("#live-text")).to_have_text("live")
        expect(watcher.locator("#live-text")).to_have_text("live")
        expect(page.locator("#scan")).to_be_focused()

        # 1. a scan lets a member in: big green result with name, subscription and streak
        scanner(page, f"GYM_QR_{ana.qr_token}")
        result = page.locator("#result")
        expect(result).to_have_class(re.compile(r"\ballowed\b"))
        expect(result.locator(".who")).to_have_text("Ana Scanner")
        expect(result.locator(".facts")).to_contain_text("Subscription active")
        expect(result.locator(".facts")).to_contain_text("Streak 1 day")
        # ... and the other desk sees the visit and the occupancy without reloading
        expect(watcher.locator("#visits tr")).to_have_count(1)
        expect(watcher.locator("#occupancy")).to_have_text("1")

        # 2. the same card again: red, anti-passback, next allowed time (local)
        page.mouse.click(5, 700)  # a stray click must not steal the scanner's focus
        expect(page.locator("#scan")).to_be_focused()
        scanner(page, f"GYM_QR_{ana.qr_token}")
        expect(result).to_have_class(re.compile(r"\brefused\b"))
        expect(result.locator(".verdict")).to_contain_text("Already entered recently")
        expect(result.locator(".why")).to_contain_text("next entry allowed at", ignore_case=True)
        expect(page.locator("#refusals tr")).to_have_count(1)
        expect(watcher.locator("#refusals tr")).to_have_count(1)

        # 3. an expired subscription, found by searching the name and checked in with Enter
        page.keyboard.type("eddie exp")
        expect(page.locator("#results li")).to_have_count(1)
        page.keyboard.press("Enter")
        expect(result.locator(".verdict")).to_contain_text("Subscription expired")
        expect(result.locator(".who")).to_have_text("Eddie Expired")

        # 4. search by name, arrow keys, manual check-in of a staff member
        page.keyboard.type("Staff")
        expect(page.locator("#results li")).to_have_count(1)
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        expect(result).to_have_class(re.compile(r"\ballowed\b"))
        expect(result.locator(".facts")).to_have_text("Staff")

        # 5. courtesy pass for the expired member, F2 then a reason, all from the keyboard
        page.keyboard.type("Eddie")
        expect(page.locator("#results li")).to_have_count(1)
        page.keyboard.press("F2")
        expect(page.locator("#reason")).to_be_focused()
        page.keyboard.type("Renewing at the desk today")
        page.keyboard.press("Enter")
        expect(result).to_have_class(re.compile(r"courtesy-ok"))
        expect(result.locator(".verdict")).to_contain_text("Courtesy pass")
        expect(page.locator("#scan")).to_be_focused()
        expect(watcher.locator("#visits tr")).to_have_count(3)
        expect(watcher.locator("#occupancy")).to_have_text("3")
        assert GymProfile.objects.get(member=expired).last_visit_at is None
    finally:
        main.close()
        other.close()


def test_staff_role_cannot_open_the_desk(
    asgi_live_server, browser, org, gym, worker
):
    context = logged_in_context(browser, asgi_live_server, worker)
    try:
        page = context.new_page()
        response = page.goto(f"{asgi_live_server}/gym/{org.slug}/desk/")
        assert response.status == 404
    finally:
        context.close()


def test_member_cards_show_qr_images_and_rotate(asgi_live_server, browser, org, gym, owner, gym_member):
    context = logged_in_context(browser, asgi_live_server, owner)
    try:
        page = context.new_page()
        page.goto(f"{asgi_live_server}/gym/{org.slug}/cards/")
        image = page.locator(f".member-card[data-id='{gym_member.pk}'] img")
        expect(image).to_be_visible()
        assert page.evaluate("(img) => img.naturalWidth > 0", image.element_handle())
        old_token = gym_member.qr_token
        page.on("dialog", lambda dialog: dialog.accept())
        page.locator(f".member-card[data-id='{gym_member.pk}'] button.rotate").click()
        expect(page.locator(f".member-card[data-id='{gym_member.pk}'] button.rotate")).to_have_text("Replaced ✓")
        gym_member.refresh_from_db()
        assert gym_member.qr_token != old_token
    finally:
        context.close()
