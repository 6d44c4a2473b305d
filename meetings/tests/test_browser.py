"""In Chromium: the status page, and linking an unmatched Meet participant in the admin."""

import pytest
from django.utils import timezone

from meetings import services
from meetings.models import AttendanceLog, ClassSession, ParticipantLink, SessionStatus
from meetings.tests.conftest import at
from organizations.models import Role, User
from tests.fixtures import logged_in_context, make_user

pytestmark = pytest.mark.browser


def test_status_page_and_linking_a_guest(asgi_live_server, browser, fake_meet, meet_credentials, math_class, academy, student2):
    record = fake_meet.add_record(space="spaces/algebra", start=at(15), end=at(16))
    fake_meet.add_participant(record, kind="phone", display_name="+1 555-***-**77", sessions=[(at(15), at(15, 45))])
    session = ClassSession.objects.create(organization=academy, scheduled_class=math_class, status=SessionStatus.COMPLETED,
                                          completed_at=timezone.now())
    services.class_session_sync(class_session=session, now=at(16, 5))
    services.google_credential_store(organization=academy, info={"token": "t"}, scopes=["openid"])

    desk = logged_in_context(browser, asgi_live_server, make_user("desk", academy, Role.RECEPTIONIST))
    page = desk.new_page()
    page.goto(f"{asgi_live_server}/academy/bright-test/status/")
    assert page.locator("#meet-access").inner_text().strip() == (
        "Google Meet API not available: the token lacks the Meet scope. "
        "To fix it, run `manage.py setup_google_oauth --meet --org bright-test`.")
    assert page.locator("#jobs tbody tr").count() == 3
    desk.close()

    root = User.objects.create_superuser("root", "root@example.com", "pw-123456")
    admin = logged_in_context(browser, asgi_live_server, root)
    page = admin.new_page()
    page.goto(f"{asgi_live_server}/admin/meetings/attendancelog/?matched=others")
    page.get_by_role("link", name="Link to a person…").click()
    page.select_option("select[name=student]", label="Leo Garcia")
    page.get_by_role("button", name="Link and remember").click()
    assert "is now remembered; 1 log(s) linked" in page.locator(".messagelist").inner_text()
    admin.close()
    assert ParticipantLink.objects.get().student == student2
    assert AttendanceLog.objects.get().student == student2
