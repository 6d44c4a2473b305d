"""Bad input gets a 4xx with {code, detail}, never a 500 or Django's HTML page: each family of bad
input is sent to several endpoints (the responses are also checked against the schema by the
suite-wide middleware, so every status below is a declared one)."""

import hashlib
import hmac
import json
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from attendance.models import CheckIn
from bookings.models import ClassType, Venue
from bookings.tests import factories as f
from gamification import services as gym_services
from staff.models import Staff
from tests.fixtures import client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org, owner, member):
    """One organization that is a gym, a studio with a class, and a hotel with a staff member."""
    gym_services.gym_configure(organization=org)
    f.studio(org)
    yoga = f.class_type(org, "Yoga")
    venue = f.venue(org, "Loft", capacity=5)
    fitness_class = f.fitness_class(org, yoga, venue, f.local(org, date(2030, 3, 10), 18))
    staff = Staff.objects.create(organization=org, first_name="Sam", last_name="Staff", department="Desk",
                                 hourly_rate=Decimal("10.00"))
    return {"client": client_for(owner), "yoga": yoga, "venue": venue, "class": fitness_class, "staff": staff,
            "member": member}


def assert_refused(response, status, code=None):
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"]
    if code is not None:
        assert body["code"] == code, body


# --- ids that are not numbers ----------------------------------------------------------------------

PATH_IDS = [
    ("get", "/api/v1/check-ins/abc/"),
    ("post", "/api/v1/check-ins/abc/check-out/"),
    ("get", "/api/v1/members/1e5/"),
    ("post", "/api/v1/corrections/abc/approve/"),
    ("get", "/api/v1/devices/abc/"),
    ("post", "/api/v1/bookings/bookings/abc/cancel/"),
    ("get", "/api/v1/bookings/classes/abc/"),
    ("post", "/api/v1/bookings/classes/abc/cancel/"),
    ("delete", "/api/v1/bookings/class-types/abc/"),
    ("post", "/api/v1/bookings/waitlist/abc/leave/"),
    ("get", "/api/v1/gym/members/abc"),
    ("put", "/api/staff/acme/staff/abc/shifts/"),
    ("get", "/api/v1/history/member/abc/"),
]


@pytest.mark.parametrize(("method", "path"), PATH_IDS)
def test_a_non_numeric_id_in_the_path_names_nothing(world, method, path):
    assert_refused(getattr(world["client"], method)(path, {}, format="json"), 404, "not_found")


FILTER_IDS = [
    "/api/v1/bookings/waitlist/?class_id=abc",
    "/api/v1/bookings/bookings/?customer_id=1e5",
    "/api/v1/check-ins/?attendee_id=abc",
    "/api/v1/refusals/?attendee_id=1.5",
    "/api/v1/monitoring/attendance-logs?session_id=abc",
    "/api/staff/acme/timesheet/?staff_id=abc",
]


@pytest.mark.parametrize("path", FILTER_IDS)
def test_a_non_numeric_id_in_a_filter_is_refused(world, path):
    response = world["client"].get(path)
    assert_refused(response, 400, "invalid")
    assert response.json()["errors"]


def test_a_form_post_on_a_page_with_a_non_numeric_id_is_refused(world, owner):
    from django.test import Client

    browser = Client()
    browser.force_login(owner)
    response = browser.post(f"/studio/acme/classes/{world['class'].pk}/", {"booking_id": "abc", "action": "cancel"})
    assert response.status_code == 400
    assert b"booking_id" in response.content


# --- dates at the edges of the calendar ------------------------------------------------------------

EDGE_DATE_QUERIES = [
    "/api/v1/dashboard/?start=0001-01-01&end=0001-01-02",
    "/api/v1/dashboard/?start=9999-12-30&end=9999-12-31",
    "/api/v1/history/member/{member}/?start=0001-01-01&end=0001-01-01",
    "/api/v1/history/member/{member}/?start=9999-12-31&end=9999-12-31",
    "/api/v1/gym/visits?date=9999-12-31",
    "/api/v1/gym/visits?date=0001-01-01",
    "/api/staff/acme/timesheet/?start=9999-12-01&end=9999-12-31",
    "/api/staff/acme/timesheet/?start=0001-01-01&end=0001-01-31",
    "/api/v1/bookings/reports/statistics/?start=9999-12-01&end=9999-12-31",
    "/api/v1/bookings/reports/timeline/?start=0001-01-01&end=0001-01-31",
    "/api/v1/bookings/reports/peak-hours/?start=9999-12-31&end=9999-12-31",
    "/api/v1/bookings/classes/?start=9999-12-31&end=9999-12-31",
    "/api/v1/check-ins/?since=9999-12-31T23:59:59Z",
]


@pytest.mark.parametrize("path", EDGE_DATE_QUERIES)
def test_dates_at_the_edges_of_the_calendar_get_an_answer(world, path):
    response = world["client"].get(path.format(member=world["member"].pk))
    assert response.status_code < 500, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    if response.status_code >= 400:
        assert response.json()["code"]


@pytest.mark.parametrize("report", ["timeline", "peak-hours", "statistics", "revenue", "attendances", "late-arrivals"])
@pytest.mark.parametrize("query", ["start=0001-01-01", "start=2020-01-01", "end=0001-01-01"])
def test_a_report_period_is_limited_also_when_one_end_is_left_out(world, report, query):
    """A missing end is today and a missing start 30 days before the end: the three-year limit holds
    for the period so completed (a year-1 start alone listed two thousand years of days)."""
    response = world["client"].get(f"/api/v1/bookings/reports/{report}/?{query}")
    assert_refused(response, 400)
    assert response.json()["code"] in ("invalid", "out_of_range")


@pytest.mark.parametrize("path", ["/api/v1/dashboard/?start=0001-01-01", "/api/v1/dashboard/?start=2020-01-01",
                                  "/api/v1/history/member/{member}/?start=0001-01-01",
                                  "/api/v1/history/member/{member}/?start=2020-01-01"])
def test_an_engine_period_is_limited_also_when_one_end_is_left_out(world, path):
    """The dashboard of a year-1 start alone listed 740,000 days (24 MB)."""
    assert_refused(world["client"].get(path.format(member=world["member"].pk)), 400, "invalid")


EDGE_DATE_BODIES = [
    ("/api/v1/bookings/classes/", lambda w: {"class_type": w["yoga"].pk, "venue": w["venue"].pk,
                                             "starts_at": "9999-12-31T23:30:00Z"}),
    ("/api/v1/bookings/classes/", lambda w: {"class_type": w["yoga"].pk, "venue": w["venue"].pk,
                                             "starts_at": "0001-01-01T00:00:00Z"}),
    ("/api/staff/acme/staff/{staff}/clock-in/", lambda w: {"at": "0001-01-01T00:00:00Z"}),
    ("/api/v1/check-ins/", lambda w: {"attendee_id": w["member"].pk, "at": "0001-01-01T00:00:00Z"}),
    ("/api/v1/gym/members", lambda w: {"first_name": "Edge", "expires_at": "9999-12-31T23:59:59Z"}),
]


@pytest.mark.parametrize(("path", "body"), EDGE_DATE_BODIES)
def test_dates_at_the_edges_of_the_calendar_in_bodies_get_an_answer(world, path, body):
    response = world["client"].post(path.format(staff=world["staff"].pk), body(world), format="json")
    assert response.status_code < 500, response.content[:300]
    if response.status_code >= 400:
        assert response.json()["code"]


EDGE_DATE_PAGES = [
    "/studio/acme/reports/?start=0001-01-01&end=9999-12-31",
    "/studio/acme/classes/?start=9999-12-31",
    "/hotel/acme/timesheet/?start=9999-12-31&end=9999-12-31",
    "/hotel/acme/timesheet.csv?start=0001-01-01&end=0001-01-01",
    "/academy/acme/status/?date=9999-12-31",
]


@pytest.mark.parametrize("path", EDGE_DATE_PAGES)
def test_dates_at_the_edges_of_the_calendar_on_pages_get_an_answer(world, owner, path):
    from django.test import Client

    browser = Client(raise_request_exception=False)
    browser.force_login(owner)
    response = browser.get(path)
    assert response.status_code < 500, response.content[:300]
    if response.status_code == 400:
        assert b"out of the supported range" in response.content


# --- NUL characters --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/gym/members?q=a%00b", "/api/v1/check-ins/?location=%00",
                                  "/api/v1/bookings/reports/attendances/?status=%00"])
def test_nul_in_a_search_term_is_refused(world, path):
    assert_refused(world["client"].get(path), 400, "nul_character")


@pytest.mark.parametrize(("path", "body"), [
    ("/api/v1/gym/members", {"first_name": "Ada\u0000"}),
    ("/api/v1/bookings/venues/", {"name": "Loft\u0000 2", "capacity": 3}),
    ("/api/v1/check-ins/", {"attendee_id": 1, "metadata": {"note\u0000": "x"}}),
])
def test_nul_inside_json_is_refused(world, path, body):
    assert_refused(world["client"].post(path, body, format="json"), 400, "nul_character")


# --- names that must be unique, and rows still in use ----------------------------------------------


@pytest.mark.parametrize(("path", "body"), [
    ("/api/v1/bookings/class-types/", {"name": "Yoga", "duration_minutes": 45}),
    ("/api/v1/bookings/venues/", {"name": "Loft", "capacity": 9}),
])
def test_a_duplicate_name_is_refused(world, path, body):
    assert_refused(world["client"].post(path, body, format="json"), 400, "duplicate")


def test_deleting_what_is_in_use_is_refused(world):
    assert_refused(world["client"].delete(f"/api/v1/bookings/class-types/{world['yoga'].pk}/"), 409, "in_use")
    assert_refused(world["client"].delete(f"/api/v1/bookings/venues/{world['venue'].pk}/"), 409, "in_use")
    assert ClassType.objects.filter(pk=world["yoga"].pk).exists()
    assert Venue.objects.filter(pk=world["venue"].pk).exists()


def test_deleting_an_instructor_of_a_class_is_refused(world):
    teacher, spare = f.instructor(world["class"].organization, "Ines"), f.instructor(world["class"].organization, "Spare")
    world["class"].instructors.set([teacher])
    assert_refused(world["client"].delete(f"/api/v1/bookings/instructors/{teacher.pk}/"), 409, "in_use")
    assert list(world["class"].instructors.all()) == [teacher]
    assert world["client"].delete(f"/api/v1/bookings/instructors/{spare.pk}/").status_code == 204


def test_deleting_a_member_with_visits_is_refused(world, member):
    """A visit or a refusal at the door names its member by id only: the member stays."""
    from attendance.models import CheckIn, Member, Refusal

    client = world["client"]
    client.post("/api/v1/check-ins/", {"attendee_id": member.pk}, format="json")  # the gym refuses: no plan
    assert Refusal.objects.filter(attendee_id=member.pk).count() == 1
    assert_refused(client.delete(f"/api/v1/members/{member.pk}/"), 409, "in_use")
    visitor = Member.objects.create(organization=member.organization, first_name="Vi")
    CheckIn.objects.create(organization=member.organization, attendee=visitor, checked_in_at=timezone.now())
    assert_refused(client.delete(f"/api/v1/members/{visitor.pk}/"), 409, "in_use")
    assert Member.objects.filter(pk__in=[member.pk, visitor.pk]).count() == 2
    newcomer = Member.objects.create(organization=member.organization, first_name="New")
    assert client.delete(f"/api/v1/members/{newcomer.pk}/").status_code == 204


def test_a_correction_of_a_check_in_deleted_meanwhile_is_refused(world, member):
    """Two deletions asked for one check-in: once the first is approved, the second has nothing left."""
    client = world["client"]
    row = CheckIn.objects.create(organization=member.organization, attendee=member, checked_in_at=timezone.now())
    asks = [client.post("/api/v1/corrections/", {"attendee_id": member.pk, "kind": "delete", "check_in_id": row.pk,
                                                  "reason": "test scan"}, format="json").json()["id"] for _ in range(2)]
    assert client.post(f"/api/v1/corrections/{asks[0]}/approve/", {}, format="json").status_code == 200
    assert_refused(client.post(f"/api/v1/corrections/{asks[1]}/approve/", {}, format="json"), 409, "check_in_gone")


# --- JSON nested too deep --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/check-ins/", "/api/v1/gym/members", "/api/v1/bookings/bookings/",
                                  "/api/staff/acme/clock/", "/api/v1/auth/token/"])
def test_json_nested_100k_deep_is_refused(world, path):
    deep = "[" * 100_000 + "]" * 100_000
    assert_refused(world["client"].post(path, deep, content_type="application/json"), 400, "malformed_request")


# --- the streak-reset webhook's timestamp ----------------------------------------------------------


@pytest.mark.parametrize("timestamp", ["١٧٦٤٧٧٠٠٠٠", "1" * 5000, "１７６４７７００００", "+1764770000", " 1764770000"])
def test_a_webhook_timestamp_that_is_not_plain_digits_is_unauthenticated(world, settings, client, timestamp):
    settings.WEBHOOK_SECRET = "whsec-contract"
    raw = json.dumps({"organization": "acme"}).encode()
    signature = "sha256=" + hmac.new(b"whsec-contract", timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    response = client.post("/api/v1/gym/webhooks/streak-reset", raw, content_type="application/json",
                           HTTP_X_GYM_TIMESTAMP=timestamp, HTTP_X_GYM_SIGNATURE=signature)
    assert_refused(response, 401, "stale_timestamp")


# --- every /api/ path answers JSON -----------------------------------------------------------------

UNKNOWN = [  # method, path, the variant the detail suggests (None: no endpoint near)
    ("get", "/api/v1/nothing-here/", None),
    ("get", "/api/nothing", None),
    ("post", "/api/v1/check-ins", "/api/v1/check-ins/"),
    ("get", "/api/v1/occupancy", "/api/v1/occupancy/"),
    ("post", "/api/v1/gym/checkin/", "/api/v1/gym/checkin"),
    ("get", "/api/v1/gym/members/", "/api/v1/gym/members"),
    ("post", "/api/staff/acme/clock", "/api/staff/acme/clock/"),
    ("delete", "/api/v1/bookings/reports/revenue", "/api/v1/bookings/reports/revenue/"),
]


@pytest.mark.parametrize(("method", "path", "suggested"), UNKNOWN)
@pytest.mark.parametrize("debug", [True, False])
def test_every_api_path_answers_json(world, settings, method, path, suggested, debug):
    settings.DEBUG = debug
    response = getattr(world["client"], method)(path, {}, format="json")
    assert_refused(response, 404, "not_found")
    detail = response.json()["detail"]
    assert (suggested in detail) if suggested else ("did you mean" not in detail)


def test_a_method_an_endpoint_does_not_take_answers_json(world):
    response = world["client"].delete("/api/v1/occupancy/")
    assert_refused(response, 405, "method_not_allowed")


def test_an_outsider_gets_json_404_for_another_organizations_object(world, other_org):
    outsider = make_user("someone-else", other_org, "owner")
    response = client_for(outsider).get(f"/api/v1/bookings/classes/{world['class'].pk}/")
    assert_refused(response, 404, "not_found")


def test_deleting_a_customer_with_bookings_or_a_plan_is_refused(world):
    """A booking, a membership or a package records attendance or money: the customer stays."""
    from attendance.models import Member
    from bookings.models import Booking

    client, org = world["client"], world["class"].organization
    booked = Member.objects.create(organization=org, first_name="Bo")
    f.booking(world["class"], booked)
    assert_refused(client.delete(f"/api/v1/members/{booked.pk}/"), 409, "in_use")
    assert Booking.objects.filter(customer=booked).count() == 1
    subscriber = Member.objects.create(organization=org, first_name="Su")
    f.membership(org, subscriber, f.plan(org), date(2030, 1, 1))
    assert_refused(client.delete(f"/api/v1/members/{subscriber.pk}/"), 409, "in_use")
    assert Member.objects.filter(pk__in=[booked.pk, subscriber.pk]).count() == 2
