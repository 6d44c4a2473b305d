"""Managers work in the Django admin: lists render, and the actions go through the services."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance import services
from attendance.models import CheckIn, Correction
from organizations.models import AuditLog
from tests.fixtures import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser(client):
    user = make_user("boss", is_staff=True, is_superuser=True)
    client.force_login(user)
    client.user = user
    return client


@pytest.mark.parametrize("model", ["member", "checkin", "refusal", "monthlyrollup", "weeklyshift", "correction"])
def test_changelists_render(admin_browser, member, model):
    services.check_in(organization=member.organization, attendee=member)
    response = admin_browser.get(reverse(f"admin:attendance_{model}_changelist"))
    assert response.status_code == 200


def test_member_list_filters_by_the_open_session_and_the_change_page_shows_it(admin_browser, org, member):
    from attendance.models import Member

    other = Member.objects.create(organization=org, first_name="Away", last_name="Member")
    row = services.check_in(organization=org, attendee=member).check_in
    url = reverse("admin:attendance_member_changelist")
    checked_in = admin_browser.get(url, {"checked_in": "yes"}).context["cl"].result_list
    assert [m.pk for m in checked_in] == [member.pk] and checked_in[0].session_check_in_id == row.pk
    assert [m.pk for m in admin_browser.get(url, {"checked_in": "no"}).context["cl"].result_list] == [other.pk]
    page = admin_browser.get(reverse("admin:attendance_member_change", args=[member.pk]))
    assert page.status_code == 200 and str(row.pk) in page.content.decode()


def test_force_check_out_action_closes_and_audits(admin_browser, org, member):
    row = services.check_in(organization=org, attendee=member).check_in
    response = admin_browser.post(
        reverse("admin:attendance_checkin_changelist"),
        {"action": "force_check_out", "_selected_action": [row.pk]},
        follow=True,
    )
    assert response.status_code == 200
    row.refresh_from_db()
    assert row.checked_out_at is not None
    audit = AuditLog.objects.get(action="check_in.force_checked_out")
    assert audit.actor == admin_browser.user
    assert audit.reason == "forced in admin"


def test_approve_action_applies_the_correction(admin_browser, org, member):
    row = services.check_in(organization=org, attendee=member, at=timezone.now() - timedelta(hours=2)).check_in
    correction = services.correction_submit(organization=org, attendee=member, kind="missing_check_out", check_in=row,
                                            proposed_checked_out_at=timezone.now() - timedelta(hours=1), reason="forgot")
    admin_browser.post(reverse("admin:attendance_correction_changelist"),
                       {"action": "approve", "_selected_action": [correction.pk]}, follow=True)
    assert Correction.objects.get().status == "approved"
    assert CheckIn.objects.get().checked_out_at is not None
