"""The desk and the manager's dashboard in Chromium, against a live ASGI server."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from bookings.tests import factories as f
from organizations.dates import local_today
from tests.fixtures import logged_in_context

pytestmark = [pytest.mark.browser]


def test_desk_checks_a_customer_in_and_a_cancellation_after_the_start_is_refused(
        asgi_live_server, browser, org, owner, studio, venue, yoga, teacher):
    cls = f.fitness_class(org, yoga, venue, timezone.now() - timedelta(minutes=10), instructors=[teacher])
    f.booking(cls, f.customer(org, "Ada", "Late"))
    f.booking(cls, f.customer(org, "Bo", "Stays"))
    context = logged_in_context(browser, asgi_live_server, owner)
    page = context.new_page()
    try:
        page.goto(f"{asgi_live_server}/studio/{org.slug}/classes/")
        page.click("text=Yoga")
        ada = page.locator("tr", has_text="Ada Late")
        ada.locator("button", has_text="Check in").click()
        page.wait_for_selector(".messages li")
        assert re.search(r"Ada Late checked in, 1\d min late\.", page.inner_text(".messages"))
        assert page.locator("tr", has_text="Ada Late").locator(".status").inner_text() == "Attended (late)"
        asked = []
        page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))  # the desk asks first
        with page.expect_navigation():
            page.locator("tr", has_text="Bo Stays").locator("button", has_text="Cancel").click()
        assert asked == ["Cancel Bo Stays's booking?"]
        page.wait_for_selector(".messages li")
        assert "class_started" in page.inner_text(".messages")
    finally:
        context.close()


def test_dashboard_period_picker(asgi_live_server, browser, org, owner, studio, venue, yoga, teacher):
    today = local_today(org.tz)
    recent = f.fitness_class(org, yoga, venue, f.local(org, today - timedelta(days=3), 9), instructors=[teacher])
    older = f.fitness_class(org, yoga, venue, f.local(org, today - timedelta(days=20), 9), instructors=[teacher])
    f.booking(recent, f.customer(org, "A"), "attended")
    f.booking(older, f.customer(org, "B"), "attended")
    f.booking(older, f.customer(org, "C"), "no_show")
    context = logged_in_context(browser, asgi_live_server, owner)
    page = context.new_page()
    try:
        page.goto(f"{asgi_live_server}/studio/{org.slug}/reports/")
        bookings_kpi = page.locator("#kpis .bk-kpi").first.locator(".v")
        assert bookings_kpi.inner_text() == "3"
        page.click("text=Last 7 days")
        page.wait_for_url("**start=*")
        assert bookings_kpi.inner_text() == "1"
        page.fill("input[name=start]", (today - timedelta(days=25)).isoformat())
        page.fill("input[name=end]", (today - timedelta(days=10)).isoformat())
        page.click("#period-picker button")
        page.wait_for_load_state()
        assert bookings_kpi.inner_text() == "2"
        assert page.locator("#peak-hours svg rect").count() >= 7
        assert "50.0%" in page.inner_text("#kpis")
    finally:
        context.close()
