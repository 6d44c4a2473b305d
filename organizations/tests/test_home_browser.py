import pytest

pytestmark = pytest.mark.browser


def test_sign_in_and_home_shows_where_to_go(asgi_live_server, browser, owner, org):
    page = browser.new_page()
    try:
        page.goto(f"{asgi_live_server}/")
        assert "/login/" in page.url
        page.fill("input[name=username]", "owner")
        page.fill("input[name=password]", "pw-123456")
        page.click("button[type=submit]")
        page.wait_for_url(f"{asgi_live_server}/")
        assert page.locator("h1").inner_text() == "Welcome, owner"
        assert page.get_by_role("link", name="API docs").count() == 1
        assert org.name in page.locator("h2.section-title").first.inner_text()
        assert page.get_by_role("link", name="Occupancy").count() == 1
        page.get_by_role("link", name="API docs").click()
        page.wait_for_selector(".swagger-ui", timeout=10000)
    finally:
        page.close()
