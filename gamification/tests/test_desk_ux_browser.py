"""The front desk guides the receptionist (Chromium): hints for a short or unmatched search, results
announced through aria-activedescendant, the last verdict cleared by the next search, a member's recent
visits from a result, the renewal from an "expired" refusal, and a navbar reachable by keyboard."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gamification.models import GymProfile
from tests.fixtures import logged_in_context

pytestmark = pytest.mark.browser


def test_the_desk_guides_a_search_and_renews_an_expired_member(asgi_live_server, browser, org, gym, colleague, make_member):
    eddie = make_member("Eddie", last_name="Expired", expires_at=timezone.now() - timedelta(days=2))
    context = logged_in_context(browser, asgi_live_server, colleague)
    try:
        page = context.new_page()
        page.goto(f"{asgi_live_server}/gym/{org.slug}/desk/")
        expect(page.locator("#live-text")).to_have_text("live")
        hint, scan = page.locator("#results-hint"), page.locator("#scan")

        page.keyboard.type("E")
        expect(hint).to_have_text("Type at least 2 letters to search.")
        page.keyboard.type("qx")
        expect(hint).to_contain_text("No member found for “Eqx”")

        scan.fill("")
        page.keyboard.type("Eddie")
        expect(page.locator("#results li")).to_have_count(1)
        expect(page.locator("#results li")).to_contain_text("expired")  # the door's state, not "active"
        expect(scan).to_have_attribute("aria-activedescendant", "result-0")
        expect(page.locator("#result-0")).to_have_attribute("aria-selected", "true")
        expect(hint).to_contain_text("1 member found")

        page.keyboard.press("F4")
        expect(page.locator("#history")).to_be_visible()
        expect(page.locator("#history-rows")).to_contain_text("No visits in the last 90 days.")

        page.keyboard.press("Enter")
        result = page.locator("#result")
        expect(result).to_have_class(re.compile(r"\brefused\b"))
        expect(result.locator(".verdict")).to_contain_text("Subscription expired")
        expect(page.locator("#renew")).to_be_visible()

        page.keyboard.type("Ed")  # the next search clears the last person's verdict
        expect(result.locator(".verdict")).to_have_text("Ready")
        expect(page.locator("#renew")).to_be_hidden()

        scan.fill("")
        page.keyboard.type("Eddie")
        expect(page.locator("#results li")).to_have_count(1)
        page.keyboard.press("Enter")
        expect(page.locator("#renew")).to_be_visible()
        page.locator("#renew button").click()  # renew for a month (the default), then the entry
        expect(result).to_have_class(re.compile(r"\ballowed\b"))
        expect(result.locator(".facts")).to_contain_text("Subscription active")
        assert GymProfile.objects.get(member=eddie).expires_at > timezone.now() + timedelta(days=27)

        scan.focus()
        page.keyboard.press("Shift+Tab")  # the navbar is reachable; focus is not pulled back to the field
        page.wait_for_timeout(200)
        assert page.evaluate("document.activeElement.closest('nav') !== null")
    finally:
        context.close()
