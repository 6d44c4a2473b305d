"""The product's own 403 and 404 pages (never Django's debug pages), role-aware home links, an offline
Redoc, and a 403 logged as one line."""

import io
import logging

import pytest
from django.test import Client

from bookings.models import Studio
from organizations.models import Role
from staff.models import Staff
from tests.fixtures import make_user

pytestmark = pytest.mark.django_db


def browser(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def hotel_and_studio(org):
    Staff.objects.create(organization=org, first_name="Rosa", department="Front office")
    Studio.objects.create(organization=org)
    return org


@pytest.mark.parametrize("debug", [True, False])
def test_a_receptionist_meets_product_pages_not_debug_pages(settings, hotel_and_studio, colleague, debug):
    settings.DEBUG = debug
    client = browser(colleague)
    home = client.get("/").content.decode()
    assert "/hotel/acme/timesheet/" not in home  # not on the staff: the link would only lead to a 404
    assert "/studio/acme/reports/" not in home

    timesheet = client.get("/hotel/acme/timesheet/")
    assert timesheet.status_code == 404
    html = timesheet.content.decode()
    assert "This page is not here" in html and "Go to your home page" in html
    assert "URLconf" not in html and "Traceback" not in html

    reports = client.get("/studio/acme/reports/")
    assert reports.status_code == 403
    assert "Your role cannot open this page" in reports.content.decode()


def test_staff_and_managers_get_their_timesheet_link(hotel_and_studio, owner, org):
    worker = make_user("rosa", org, Role.STAFF)
    Staff.objects.filter(first_name="Rosa").update(user=worker)
    assert "/hotel/acme/timesheet/" in browser(worker).get("/").content.decode()
    assert "/hotel/acme/timesheet/" in browser(owner).get("/").content.decode()
    assert browser(worker).get("/hotel/acme/timesheet/").status_code == 200


def test_another_organizations_admin_row_is_the_product_404(settings, owner, other_org):
    settings.DEBUG = True
    response = browser(owner).get(f"/admin/organizations/organization/{other_org.pk}/change/")
    assert response.status_code == 404 and "This page is not here" in response.content.decode()


def test_redoc_loads_nothing_from_the_internet(owner):
    response = browser(owner).get("/api/redoc/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "https://" not in html and "http://" not in html
    policy = response["Content-Security-Policy"]
    assert "img-src 'self' data:" in policy and "default-src 'self'" in policy


@pytest.fixture
def console_output():
    """What the configured console handler (settings.LOGGING) writes, captured."""
    [console] = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    out = io.StringIO()
    previous = console.setStream(out)
    yield out
    console.setStream(previous)


def test_a_refused_request_is_logged_as_one_line_without_traceback(hotel_and_studio, colleague, console_output):
    browser(colleague).get("/studio/acme/reports/")
    logged = console_output.getvalue()
    assert "Forbidden (Permission denied): /studio/acme/reports/" in logged
    assert logged.count("Forbidden (Permission denied)") == 1
    assert "Traceback" not in logged and "PermissionDenied" not in logged
