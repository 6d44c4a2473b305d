"""static/js/live.js in Debian's Chromium, on the staff board: "Live" only while heartbeats arrive,
re-fetch on heartbeat resume and on a sequence gap, and each event applied once.

The page's socket goes through Playwright's `route_web_socket`, which can mute the server (the socket
stays open and says nothing, as when Redis died behind it), drop one event, or deliver each
message twice.
"""

import time

import pytest
import requests
from rest_framework.authtoken.models import Token

from organizations.services import device_key_create
from staff.models import Staff

pytestmark = pytest.mark.browser

HEARTBEAT, MARGIN = 0.5, 1.5  # the test's heartbeat interval, and live.js's margin


def clock(server, token):
    response = requests.post(f"{server}/api/staff/acme/clock/", headers={"Authorization": f"Token {token}"}, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def text_is(page, selector, value, timeout=10000):
    page.wait_for_function("([s, v]) => document.querySelector(s).textContent === v", arg=[selector, value],
                           timeout=timeout, polling=50)


def settled_snapshot(page, quiet=1.5, timeout=10.0):
    """The board's snapshot time once no re-fetch has happened for `quiet` seconds (a resume can
    trigger more than one, and the board also re-reads its snapshot a second after a clock-in)."""
    deadline = time.monotonic() + timeout
    last, since = page.evaluate("() => document.body.dataset.snapshotAt"), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = page.evaluate("() => document.body.dataset.snapshotAt")
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return now
    raise AssertionError("the board kept re-fetching its snapshot")


def test_the_board_is_live_only_while_heartbeats_arrive_and_catches_up(asgi_live_server, browser, org, worker,
                                                                       settings):
    settings.REALTIME_HEARTBEAT_SECONDS = HEARTBEAT
    hotel = org  # the cast's organization (slug acme), used as a hotel
    hotel.settings = {"duplicate_scan_seconds": 0}
    hotel.save()
    Staff.objects.create(organization=hotel, user=worker, first_name="Wanda", last_name="Worker", department="Spa")
    _, display_key = device_key_create(organization=hotel, name="Lobby TV", kind="display")
    token = Token.objects.create(user=worker).key
    mode = {"mute": False, "drop_next_clock": False, "twice": False}

    def route(ws):
        server = ws.connect_to_server()

        def from_server(message):
            if mode["mute"]:
                return
            if mode["drop_next_clock"] and "clock-status-updated" in message:
                mode["drop_next_clock"] = False
                return
            ws.send(message)
            if mode["twice"]:
                ws.send(message)

        server.on_message(from_server)

    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    board = context.new_page()
    board.route_web_socket("**/ws/hotel/**", route)
    try:
        board.goto(f"{asgi_live_server}/hotel/acme/board/?key={display_key}")
        text_is(board, "#connection", "Live")
        text_is(board, "#total-on-duty", "0")

        # Every message delivered twice: each clock is applied once (deduped by event_id).
        mode["twice"] = True
        clock(asgi_live_server, token)
        text_is(board, "#total-on-duty", "1")
        clock(asgi_live_server, token)
        text_is(board, "#total-on-duty", "0")
        time.sleep(0.5)
        assert board.locator("#recent li").count() == 2
        mode["twice"] = False

        # The feed dies behind an open socket: "Live" must go within interval + margin.
        mode["mute"] = True
        muted_at = time.monotonic()
        board.wait_for_function("() => document.querySelector('#connection').textContent.startsWith('Reconnecting…')",
                                timeout=10000, polling=50)
        left_live_after = time.monotonic() - muted_at
        assert left_live_after < HEARTBEAT + MARGIN + 1.0, left_live_after  # 1 s for the browser's own polling
        assert "(last update " in board.locator("#connection").inner_text()
        clock(asgi_live_server, token)  # missed while the feed is dead
        time.sleep(0.5)
        assert board.locator("#total-on-duty").inner_text() == "0"

        # Heartbeats (and a fresh socket) come back: the board re-fetches and is right again.
        mode["mute"] = False
        text_is(board, "#connection", "Live")
        text_is(board, "#total-on-duty", "1")

        # One event lost on the way: the next one's sequence shows the gap and the board re-fetches.
        before = settled_snapshot(board)
        mode["drop_next_clock"] = True
        clock(asgi_live_server, token)  # Wanda clocks out; the board never hears it
        time.sleep(0.5)
        assert board.locator("#total-on-duty").inner_text() == "1"
        assert board.evaluate("() => document.body.dataset.snapshotAt") == before
        clock(asgi_live_server, token)  # sequence + 2: the gap makes the board fetch its snapshot
        board.wait_for_function("(b) => document.body.dataset.snapshotAt !== b", arg=before, timeout=10000, polling=50)
        text_is(board, "#total-on-duty", "1")
        assert board.locator("#connection").inner_text() == "Live"
    finally:
        context.close()
