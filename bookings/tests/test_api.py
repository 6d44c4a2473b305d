"""The bookings API and pages through HTTP: permissions, tenancy, booking flow, CSV reports."""

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from bookings import services
from bookings.models import Booking
from bookings.tests import factories as f
from tests.fixtures import client_for

NOW = datetime(2026, 3, 9, 9, 0, tzinfo=ZoneInfo("UTC"))
API = "/api/v1/bookings"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_manager_sets_up_a_class_and_desk_books_it_until_the_waitlist(org, owner_client, colleague_client, studio):
    venue = owner_client.post(f"{API}/venues/", {"name": "Loft", "capacity": 1, "address": "2 Mill Lane"}, format="json")
    ctype = owner_client.post(f"{API}/class-types/", {"name": "Pilates", "duration_minutes": 50,
                                                      "drop_in_price_pennies": 1500}, format="json")
    teacher = owner_client.post(f"{API}/instructors/", {"name": "Mo", "specialisations": ["pilates"]}, format="json")
    assert venue.status_code == ctype.status_code == teacher.status_code == 201
    created = owner_client.post(f"{API}/classes/", {
        "class_type": ctype.json()["id"], "venue": venue.json()["id"], "instructors": [teacher.json()["id"]],
        "starts_at": "2026-03-10T18:00:00+01:00"}, format="json")
    assert created.status_code == 201, created.json()
    cls = created.json()
    assert cls["ends_at"] == "2026-03-10T17:50:00Z" and cls["capacity"] == 1
    assert colleague_client.post(f"{API}/venues/", {"name": "X", "capacity": 3}, format="json").status_code == 403

    a, b = f.customer(org, "Ann"), f.customer(org, "Bob")
    first = colleague_client.post(f"{API}/bookings/", {"class_id": cls["id"], "customer_id": a.pk}, format="json")
    assert first.status_code == 201 and first.json()["result"] == "booked"
    assert first.json()["booking"]["method"] == "drop_in" and first.json()["booking"]["amount_paid_pennies"] == 1500
    assert first.json()["booking"]["source"] == "staff"
    second = colleague_client.post(f"{API}/bookings/", {"class_id": cls["id"], "customer_id": b.pk}, format="json")
    assert second.status_code == 202 and second.json()["waitlist_entry"]["position"] == 1
    full = colleague_client.post(f"{API}/bookings/", {"class_id": cls["id"], "customer_id": f.customer(org, "C").pk,
                                                      "waitlist": False}, format="json")
    assert full.status_code == 409 and full.json()["code"] == "class_full"
    listed = colleague_client.get(f"{API}/classes/", {"start": "2026-03-10", "end": "2026-03-10"}).json()
    assert [(c["id"], c["booked"]) for c in listed["results"]] == [(cls["id"], 1)]

    cancel = colleague_client.post(f"{API}/bookings/{first.json()['booking']['id']}/cancel/")
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    assert Booking.objects.get(customer=b).promoted_from_waitlist


def test_other_tenants_objects_answer_404(org, other_org, outsider_client, owner_client, tomorrow_class):
    booking = f.booking(tomorrow_class, f.customer(org, "Mine"))
    assert outsider_client.get(f"{API}/bookings/{booking.pk}/").status_code == 404
    foreign = outsider_client.post(f"{API}/bookings/", {"class_id": tomorrow_class.pk,
                                                        "customer_id": f.customer(other_org, "Them").pk}, format="json")
    assert foreign.status_code == 404 and foreign.json()["code"] == "class_not_found"
    assert outsider_client.get(f"{API}/reports/statistics/", {"org": org.slug}).status_code == 404
    assert owner_client.get(f"{API}/bookings/").json()["count"] == 1
    assert outsider_client.get(f"{API}/bookings/").json()["count"] == 0


def test_a_customer_books_only_for_themselves(org, plain_member, tomorrow_class):
    me = f.customer(org, "Me", user=plain_member)
    someone = f.customer(org, "Someone")
    client = client_for(plain_member)
    mine = client.post(f"{API}/bookings/", {"class_id": tomorrow_class.pk, "source": "mobile_app"}, format="json")
    assert mine.status_code == 201 and mine.json()["booking"]["customer_id"] == me.pk
    assert mine.json()["booking"]["source"] == "mobile_app"
    other = client.post(f"{API}/bookings/", {"class_id": tomorrow_class.pk, "customer_id": someone.pk}, format="json")
    assert other.status_code == 404
    f.booking(tomorrow_class, someone)
    assert [b["customer_id"] for b in client.get(f"{API}/bookings/").json()["results"]] == [me.pk]
    assert client.get(f"{API}/reports/statistics/").status_code == 403
    schedule = client.get(f"{API}/classes/", {"start": "2026-03-10", "end": "2026-03-10"})
    assert schedule.status_code == 200 and [c["id"] for c in schedule.json()["results"]] == [tomorrow_class.pk]
    assert client.post(f"{API}/classes/", {}, format="json").status_code == 403
    assert client.get(f"{API}/memberships/").status_code == 403
    free = client.post(f"{API}/bookings/", {"class_id": tomorrow_class.pk, "method": "free"}, format="json")
    assert free.status_code == 403 and free.json()["code"] == "method_not_allowed"


def test_series_through_the_api(org, owner_client, studio, venue, yoga):
    classes = [f.fitness_class(org, yoga, venue, f.local(org, date(2026, 3, 10) + timedelta(weeks=w), 18)) for w in range(3)]
    person = f.customer(org, "Weekly")
    response = owner_client.post(f"{API}/bookings/series/", {"class_id": classes[0].pk, "customer_id": person.pk,
                                                             "until": "2026-03-24", "method": "free"}, format="json")
    assert response.status_code == 201
    assert response.json()["summary"] == {"booked": 3}
    assert Booking.objects.filter(series_id=response.json()["series_id"]).count() == 3


def test_kiosk_checks_a_customer_in_by_qr_and_refusals_are_409(org, kiosk, tomorrow_class):
    person = f.customer(org, "Qr")
    f.booking(tomorrow_class, person)
    with time_machine.travel(tomorrow_class.starts_at + timedelta(minutes=9), tick=False):
        ok = kiosk.post(f"{API}/check-ins/", {"qr_token": person.qr_token, "method": "qr_code"}, format="json")
        refused = kiosk.post(f"{API}/check-ins/", {"customer_id": f.customer(org, "No").pk}, format="json")
    assert ok.status_code == 201 and ok.json()["status"] == "attended" and ok.json()["minutes_late"] == 9
    assert refused.status_code == 409 and refused.json()["code"] == "not_booked"


def test_reports_are_for_managers_and_validate_the_period(owner_client, colleague_client, studio):
    assert colleague_client.get(f"{API}/reports/capacity/").status_code == 403
    bad = owner_client.get(f"{API}/reports/statistics/", {"start": "2026-03-09", "end": "2026-03-01"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    default = owner_client.get(f"{API}/reports/statistics/").json()
    assert default["period"] == {"start": "2026-02-08", "end": "2026-03-09"}


def test_reports_as_json_and_csv(org, owner_client, studio, venue, yoga, django_assert_max_num_queries):
    cls = f.fitness_class(org, yoga, venue, f.local(org, date(2026, 3, 2), 9))
    for name, status, late in (("A", "attended", 0), ("B", "attended", 9), ("C", "no_show", 0)):
        f.booking(cls, f.customer(org, name), status, minutes_late=late, was_late=late > 5)
    period = {"start": "2026-03-02", "end": "2026-03-08"}
    stats = owner_client.get(f"{API}/reports/statistics/", period).json()
    assert (stats["total_bookings"], stats["attendance_rate"], stats["average_class_size"]) == (3, 66.7, 2.0)
    response = owner_client.get(f"{API}/reports/statistics/", {**period, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="statistics-2026-03-02-2026-03-08.csv"' in response["Content-Disposition"]
    [row] = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert (row["total_bookings"], row["attended"], row["no_show_rate"]) == ("3", "2", "33.3")
    for name in ("capacity", "late-arrivals", "timeline", "instructors", "revenue", "peak-hours", "engagement"):
        json_response = owner_client.get(f"{API}/reports/{name}/", period)
        csv_response = owner_client.get(f"{API}/reports/{name}/", {**period, "format": "csv"})
        assert json_response.status_code == csv_response.status_code == 200, name
    peak = list(csv.DictReader(io.StringIO(owner_client.get(f"{API}/reports/peak-hours/", {**period, "format": "csv"}).content.decode())))
    assert peak == [{"weekday": "1", "hour": "9", "bookings": "3", "attended": "2"}]

    with django_assert_max_num_queries(8):
        page = owner_client.get(f"{API}/reports/attendances/", {**period, "was_late": "true"}).json()
    assert [(r["customer"], r["minutes_late"], r["was_late"]) for r in page["results"]] == [("B Test", 9, True)]
    streamed = owner_client.get(f"{API}/reports/attendances/", {**period, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(streamed.streaming_content).decode())))
    assert [(r["customer"], r["status"], r["starts_at"]) for r in rows] == [
        ("A Test", "attended", "2026-03-02T09:00:00+01:00"), ("B Test", "attended", "2026-03-02T09:00:00+01:00"),
        ("C Test", "no_show", "2026-03-02T09:00:00+01:00")]
    customer_id = rows[0]["customer_id"]
    history = owner_client.get(f"{API}/reports/customers/{customer_id}/history/").json()
    assert history["summary"]["attended"] == 1


def test_dashboard_and_desk_pages(org, owner, colleague, outsider, studio, venue, yoga, django_assert_max_num_queries):
    cls = f.fitness_class(org, yoga, venue, f.local(org, date(2026, 3, 2), 9))
    f.booking(cls, f.customer(org, "A"), "attended")
    f.booking(cls, f.customer(org, "B"), "no_show")
    browser = Client()
    assert browser.get(f"/studio/{org.slug}/reports/").status_code == 302  # to the login page
    browser.force_login(owner)
    with django_assert_max_num_queries(25):
        page = browser.get(f"/studio/{org.slug}/reports/", {"start": "2026-03-02", "end": "2026-03-08"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Studio reports" in html and 'id="peak-hours"' in html and "50.0%" in html
    assert page.context["stats"]["attended"] == 1
    desk = Client()
    desk.force_login(colleague)
    assert desk.get(f"/studio/{org.slug}/reports/").status_code == 403
    day = desk.get(f"/studio/{org.slug}/classes/", {"date": "2026-03-02"})
    assert day.status_code == 200 and "Yoga" in day.content.decode()
    stranger = Client()
    stranger.force_login(outsider)
    assert stranger.get(f"/studio/{org.slug}/reports/").status_code == 404


def test_home_links_only_for_studios(org, owner, other_org, outsider):
    from bookings.links import home_links

    assert home_links(org, "owner") == []
    f.studio(org)
    assert [link["title"] for link in home_links(org, "owner")] == ["Today's classes", "Studio reports"]
    assert [link["title"] for link in home_links(org, "receptionist")] == ["Today's classes"]


def test_a_customer_sees_and_leaves_their_own_waitlist_place(org, plain_member, studio, venue, yoga):
    cls = f.fitness_class(org, yoga, venue, NOW + timedelta(days=2), capacity=1)
    f.booking(cls, f.customer(org, "Holder"))
    me = f.customer(org, "Me", user=plain_member)
    other = f.customer(org, "Other")
    client = client_for(plain_member)
    joined = client.post(f"{API}/bookings/", {"class_id": cls.pk, "method": "drop_in"}, format="json")
    assert joined.status_code == 202
    services.booking_create(organization=org, fitness_class=cls, customer=other, method="drop_in")
    listed = client.get(f"{API}/waitlist/").json()["results"]
    assert [e["customer_id"] for e in listed] == [me.pk]
    others_entry = cls.waitlist.get(customer=other)
    assert client.post(f"{API}/waitlist/{others_entry.pk}/leave/").status_code == 404
    left = client.post(f"{API}/waitlist/{listed[0]['id']}/leave/")
    assert left.status_code == 200 and left.json()["status"] == "left"
