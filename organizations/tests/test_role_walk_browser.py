"""Each role walks every page its home page links to, at 1920×1080, 1366×768 and a 390×844 phone: every
link opens (no 403/404 behind a link), no page scrolls sideways, and on the phone the staff clock
button is on screen (issue 19: the walk in "done means")."""

import datetime as dt

import pytest

from attendance.models import WeeklyShift
from organizations.models import Role
from organizations.tests.admin_rows import tenant_rows
from staff.models import Staff
from tests.fixtures import logged_in_context, make_user

pytestmark = pytest.mark.browser

SIZES = [(1920, 1080), (1366, 768), (390, 844)]


@pytest.fixture
def cast(org, owner, colleague):
    """One organization that is a hotel, a gym, a studio and an academy at once, and its people."""
    rows = tenant_rows(org, "alpha")
    worker = make_user("worker", org, Role.STAFF)
    staff = rows[Staff]
    Staff.objects.filter(pk=staff.pk).update(user=worker, last_name="Walker")
    WeeklyShift.objects.filter(attendee_id=staff.pk).update(start_time=dt.time(0, 0), end_time=dt.time(23, 59))
    return {"owner": owner, "admin": make_user("orgadmin", org, Role.ADMIN), "receptionist": colleague, "staff": worker}


def home_links(page, base):
    hrefs = page.eval_on_selector_all("main a.card", "links => links.map(a => a.getAttribute('href'))")
    return sorted({h for h in hrefs if h.startswith("/") and not h.startswith("/api/")})


@pytest.mark.parametrize("role", ["owner", "admin", "receptionist", "staff"])
def test_every_role_walks_its_pages_at_three_sizes(asgi_live_server, browser, cast, role):
    base = str(asgi_live_server)
    problems = []
    for width, height in SIZES:
        context = logged_in_context(browser, asgi_live_server, cast[role])
        page = context.new_page()
        page.set_viewport_size({"width": width, "height": height})
        try:
            page.goto(f"{base}/")
            links = home_links(page, base)
            assert links, f"{role} has no pages"
            if role in ("owner", "admin"):
                assert "/admin/" in links
            for path in ["/", *links]:
                response = page.goto(base + path)
                page.wait_for_load_state("load")
                if response.status >= 400:
                    problems.append(f"{width}px {path}: HTTP {response.status}")
                    continue
                scroll_width = page.evaluate("document.documentElement.scrollWidth")
                if scroll_width > width:
                    problems.append(f"{width}px {path}: {scroll_width}px wide")
                if path.startswith("/hotel/") and path.count("/") == 3 and role == "staff":
                    button = page.locator("#clock-button").bounding_box()
                    if button is None or button["x"] < 0 or button["x"] + button["width"] > width or button["y"] > height:
                        problems.append(f"{width}px {path}: clock button off screen at {button}")
        finally:
            context.close()
    assert problems == []
