"""The desk without a network, in Chromium: it opens from its cache, decides scans and courtesy
passes from the door manifest, queues them, and pushes them with their own times when the network
is back."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from attendance.models import CheckIn, Member, Refusal
from gamification import services
from gamification.models import GymProfile
from organizations.models import AuditLog
from tests.contract.validation import openapi
from tests.fixtures import eventually

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _patient_expectations():
    """A push is a round trip through the live server: allow a loaded machine its time."""
    expect.set_options(timeout=20_000)
    yield
    expect.set_options(timeout=5_000)


def scanner(page, code):
    page.keyboard.type(code, delay=2)
    page.keyboard.press("Enter")


@pytest.fixture
def desk_session(transactional_db, colleague):
    """The receptionist's session, made before the live server starts writing; and the contract
    check's schema built once here, not by two of the desk's simultaneous first requests."""
    openapi()
    django_client = Client()
    django_client.force_login(colleague)
    return django_client.cookies[settings.SESSION_COOKIE_NAME].value


def open_desk(browser, server, session, org):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": str(server)}])
    page = context.new_page()
    page.goto(f"{server}/gym/{org.slug}/desk/")
    expect(page.locator("#desk")).to_have_attribute("data-offline-ready", "1")
    page.wait_for_function("navigator.serviceWorker.controller !== null && navigator.serviceWorker.controller.state === 'activated'")
    page.wait_for_function(
        "caches.open(document.getElementById('desk').dataset.cache).then((c) => c.match(location.pathname)).then(Boolean)"
    )
    # Let the page's first requests (the cache fill, the first push) finish before the network is cut.
    page.wait_for_load_state("networkidle")
    return context, page


def go_offline(context, page):
    context.set_offline(True)
    page.reload()  # no network: the page comes from the service worker's cache
    expect(page.locator("#desk")).to_have_attribute("data-offline-ready", "1")
    expect(page.locator("#scan")).to_be_focused()


@pytest.fixture
def three(gym, make_member, org):
    ana, bob, cy = make_member("Ana"), make_member("Bob"), make_member("Cy")
    services.gym_check_in(organization=org, member=ana, access_method="qr", at=timezone.now() - timedelta(days=1))
    return ana, bob, cy


def test_three_scans_offline_are_queued_and_recorded_with_their_times(three, desk_session, asgi_live_server, browser, org):
    ana, bob, cy = three
    context, page = open_desk(browser, asgi_live_server, desk_session, org)
    try:
        go_offline(context, page)
        started = timezone.now()
        for member in (ana, bob, cy):
            scanner(page, f"GYM_QR_{member.qr_token}")
            expect(page.locator("#result")).to_have_class(re.compile(r"\ballowed\b"))
            expect(page.locator("#result .who")).to_have_text(f"{member.first_name} Test")
        expect(page.locator("#offline-status")).to_have_text(re.compile(r"^Offline — 3 queued — last sync \d\d:\d\d$"))
        eventually(lambda: CheckIn.objects.count() == 1)  # nothing reached the server yet
        back = timezone.now()

        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        expect(page.locator("#offline-status")).to_be_hidden()
        eventually(lambda: CheckIn.objects.count() == 4)
        visits = list(CheckIn.objects.filter(checked_in_at__gte=started).order_by("checked_in_at"))
        assert [v.attendee_id for v in visits] == [ana.pk, bob.pk, cy.pk]
        assert all(started <= v.checked_in_at <= back for v in visits)  # the scans' own times, not the push's
        streaks = {p.member_id: p.current_streak for p in GymProfile.objects.all()}
        assert streaks == {ana.pk: 2, bob.pk: 1, cy.pk: 1}
        expect(page.locator("#conflicts")).to_be_hidden()
    finally:
        context.close()


@pytest.fixture
def dora(make_member):
    return make_member("Dora")


def test_an_entry_the_server_refuses_is_shown_as_a_conflict(dora, desk_session, asgi_live_server, browser, org):
    context, page = open_desk(browser, asgi_live_server, desk_session, org)
    try:
        go_offline(context, page)
        # At another desk, meanwhile, the subscription is cancelled.
        eventually(lambda: services.subscription_set(member=dora, status="cancelled", expires_at=None))
        scanner(page, f"GYM_QR_{dora.qr_token}")
        expect(page.locator("#result")).to_have_class(re.compile(r"\ballowed\b"))
        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        conflict = page.locator("#conflicts li")
        expect(conflict).to_have_count(1)
        expect(conflict).to_contain_text("Dora Test")
        expect(conflict).to_contain_text("Subscription not active")
        eventually(lambda: CheckIn.objects.count() == 0
                   and Refusal.objects.filter(code="subscription_inactive", attendee_id=dora.pk).count() == 1)
        conflict.get_by_role("button", name="Seen").click()
        expect(page.locator("#conflicts")).to_be_hidden()
    finally:
        context.close()


@pytest.fixture
def eve(make_member):
    return make_member("Eve")


def test_two_desks_offline_admitting_one_member_make_one_visit_and_one_conflict(
    eve, desk_session, asgi_live_server, browser, org
):
    first, page_a = open_desk(browser, asgi_live_server, desk_session, org)
    second, page_b = open_desk(browser, asgi_live_server, desk_session, org)
    try:
        go_offline(first, page_a)
        go_offline(second, page_b)
        for page in (page_a, page_b):
            scanner(page, f"GYM_QR_{eve.qr_token}")
            expect(page.locator("#result")).to_have_class(re.compile(r"\ballowed\b"))
        first.set_offline(False)
        page_a.evaluate("window.dispatchEvent(new Event('online'))")
        expect(page_a.locator("#offline-status")).to_be_hidden()
        eventually(lambda: CheckIn.objects.count() == 1)
        second.set_offline(False)
        page_b.evaluate("window.dispatchEvent(new Event('online'))")
        expect(page_b.locator("#conflicts li")).to_contain_text("Already entered recently")
        expect(page_a.locator("#conflicts")).to_be_hidden()
        eventually(lambda: CheckIn.objects.filter(attendee_id=eve.pk).count() == 1
                   and Refusal.objects.filter(attendee_id=eve.pk, code="anti_passback").count() == 1)
    finally:
        first.close()
        second.close()


@pytest.fixture
def fay(make_member):
    return make_member("Fay", expires_at=timezone.now() - timedelta(days=3))  # expired: a courtesy pass lets her in


def courtesy_pass(page, reason, *, guest):
    page.keyboard.press("F2")  # the selected member, or a new guest named as typed when nobody is found
    expect(page.locator("#reason")).to_be_focused()
    page.keyboard.type(reason)
    page.keyboard.press("Enter")
    result = page.locator("#result")
    expect(result).to_have_class(re.compile(r"\bcourtesy-ok\b"))
    expect(result.locator(".verdict")).to_have_text("✔ Courtesy pass")
    expect(result.locator(".facts")).to_have_text(
        "Courtesy pass · new guest · Decided offline" if guest else "Courtesy pass · Decided offline")


def test_courtesy_passes_given_offline_for_a_guest_and_a_member_are_recorded_with_their_reasons(
    fay, desk_session, asgi_live_server, browser, org, colleague
):
    context, page = open_desk(browser, asgi_live_server, desk_session, org)
    try:
        go_offline(context, page)
        started = timezone.now()
        page.keyboard.type("Pat Guest")
        expect(page.locator("#results-hint")).to_contain_text("F2 gives “Pat Guest” a courtesy pass as a new guest")
        courtesy_pass(page, "Trial day", guest=True)
        expect(page.locator("#result .who")).to_have_text("Pat Guest")

        page.keyboard.type("fay")
        expect(page.locator("#results li")).to_have_count(1)
        courtesy_pass(page, "Renewing at the desk", guest=False)
        expect(page.locator("#result .who")).to_have_text("Fay Test")
        expect(page.locator("#offline-status")).to_have_text(re.compile(r"^Offline — 2 queued — last sync \d\d:\d\d$"))
        eventually(lambda: not CheckIn.objects.exists())  # nothing reached the server yet
        back = timezone.now()

        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        expect(page.locator("#offline-status")).to_be_hidden()
        eventually(lambda: CheckIn.objects.count() == 2)
        expect(page.locator("#conflicts")).to_be_hidden()
    finally:
        context.close()
    guest = Member.objects.get(first_name="Pat", last_name="Guest")
    visits = {v.attendee_id: v for v in CheckIn.objects.all()}
    assert set(visits) == {guest.pk, fay.pk}
    assert all(v.kind == "courtesy" and started <= v.checked_in_at <= back for v in visits.values())  # the desk's times
    assert visits[guest.pk].checked_in_at < visits[fay.pk].checked_in_at
    grants = {log.data["member_id"]: log for log in AuditLog.objects.filter(action="COURTESY_ACCESS_GRANTED")}
    assert {k: log.reason for k, log in grants.items()} == {guest.pk: "Trial day", fay.pk: "Renewing at the desk"}
    assert all(log.actor == colleague for log in grants.values())
    assert GymProfile.objects.get(member=fay).last_visit_at is None
