"""The report and booking rules of docs/bookings.md, each recomputed from the rows or driven through HTTP."""

import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bookings import customer_reports, selectors
from bookings.models import Booking, BookingStatus, ClassPackage, CustomerMembership, FitnessClass
from bookings.tests import factories as f
from organizations.dates import local_date, month_start

NOW = datetime(2026, 3, 9, 9, 0, tzinfo=ZoneInfo("UTC"))
API = "/api/v1/bookings"
STATUSES = ["registered", "attended", "no_show", "late_cancelled", "cancelled"]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _book(client, cls, customer, **extra):
    return client.post(f"{API}/bookings/", {"class_id": cls.pk, "customer_id": customer.pk, **extra}, format="json")


# --- 1. a rescheduled class takes its bookings with it ------------------------------------------


def test_rescheduling_a_class_moves_its_bookings_in_reports_limits_and_check_in(org, owner_client, studio, venue, yoga):
    """Madrid. A class booked for Tue 10 March 18:00 moves to Mon 16 March 18:00 (the next week)."""
    ann = f.customer(org, "Ann")
    weekly = f.plan(org, "Once a week", limit=1, period="week")
    f.membership(org, ann, weekly, started_on=date(2026, 3, 1))
    cls = f.fitness_class(org, yoga, venue, f.local(org, date(2026, 3, 10), 18))
    other = f.fitness_class(org, yoga, venue, f.local(org, date(2026, 3, 11), 18))
    booked = _book(owner_client, cls, ann)
    assert booked.status_code == 201 and booked.json()["booking"]["method"] == "membership"
    assert _book(owner_client, other, ann, method="membership").json()["code"] == "class_limit_reached"

    moved = owner_client.patch(f"{API}/classes/{cls.pk}/", {"starts_at": "2026-03-16T18:00:00+01:00"}, format="json")
    assert moved.status_code == 200, moved.json()

    listed = owner_client.get(f"{API}/bookings/", {"customer_id": ann.pk}).json()["results"]
    assert [b["class_starts_at"] for b in listed] == ["2026-03-16T17:00:00Z"]
    for day, expected in ((date(2026, 3, 10), 0), (date(2026, 3, 16), 1)):
        report = owner_client.get(f"{API}/reports/statistics/", {"start": day, "end": day}).json()
        assert report["registered"] == expected
    # The week of 9 March has a free place again: the weekly limit reads the class's new time.
    assert _book(owner_client, other, ann, method="membership").status_code == 201
    # Check-in on the 16th finds the booking through the class's new window.
    with time_machine.travel(datetime(2026, 3, 16, 17, 2, tzinfo=ZoneInfo("UTC")), tick=False):
        checked = owner_client.post(f"{API}/check-ins/", {"customer_id": ann.pk}, format="json")
    assert checked.status_code == 201 and checked.json()["id"] == booked.json()["booking"]["id"]


# --- 2. one attendance rate for every report ----------------------------------------------------


def test_every_report_uses_attended_over_settled(org, studio):
    """Random bookings (registered ones included) in 12 held classes; each report's rate equals
    attended / (attended + no-shows + late cancellations) recomputed from the rows."""
    rng = random.Random(18)
    a, b = f.venue(org, "A", 12), f.venue(org, "B", 8)
    yoga, spin = f.class_type(org, "Yoga"), f.class_type(org, "Spin")
    ines = f.instructor(org, "Ines")
    people = [f.customer(org, f"P{i}") for i in range(12)]
    for i in range(12):
        cls = f.fitness_class(org, rng.choice([yoga, spin]), rng.choice([a, b]),
                              f.local(org, date(2026, 3, 2 + i % 6), 8 + i), instructors=[ines])
        for person in rng.sample(people, rng.randint(3, 8)):
            f.booking(cls, person, rng.choice(STATUSES))
    kw = {"organization": org, "start": date(2026, 3, 2), "end": date(2026, 3, 8)}
    rows = list(Booking.objects.filter(organization=org).select_related("fitness_class"))
    assert any(r.status == "registered" for r in rows)

    def rate(subset):
        count = defaultdict(int)
        for r in subset:
            count[r.status] += 1
        settled = count["attended"] + count["no_show"] + count["late_cancelled"]
        return round(100 * count["attended"] / settled, 1) if settled else None

    assert selectors.statistics(**kw)["attendance_rate"] == rate(rows)
    for row in selectors.capacity(**kw)["rows"]:
        group = [r for r in rows if (r.fitness_class.class_type_id, r.fitness_class.venue_id)
                 == (row["class_type_id"], row["venue_id"])]
        assert row["attendance_rate"] == rate(group)
    [week] = selectors.timeline(**kw, granularity="week")["rows"]
    assert week["attendance_rate"] == rate(rows)
    for person in people:
        mine = [r for r in rows if r.customer_id == person.pk]
        assert customer_reports.customer_history(organization=org, customer=person)["summary"]["attendance_rate"] == rate(mine)


# --- 3. a membership's price in revenue -------------------------------------------------------------


def test_membership_revenue_shares_the_monthly_price_among_the_classes_used(org, owner_client, studio, venue, yoga):
    """A 100-penny plan; in March Ann books 3 classes with it (one cancelled early, so 2 share the
    price), in April 1. The shares recomputed from the rows add up to the price per month."""
    ann, bob = f.customer(org, "Ann"), f.customer(org, "Bob")
    plan = f.plan(org, "Gold", price=100)
    for person in (ann, bob):
        f.membership(org, person, plan, started_on=date(2026, 3, 1))
    days = [date(2026, 3, 10), date(2026, 3, 20), date(2026, 3, 31), date(2026, 4, 1)]
    classes = [f.fitness_class(org, yoga, venue, f.local(org, d, 23)) for d in days]
    ids = [_book(owner_client, cls, ann).json()["booking"]["id"] for cls in classes]
    _book(owner_client, classes[0], bob)
    owner_client.post(f"{API}/bookings/{ids[1]}/cancel/")  # 11 days ahead: an early cancellation

    # Recompute: per (membership, local month) the counted bookings share the plan price.
    groups = defaultdict(list)
    for r in Booking.objects.filter(method="membership").exclude(status="cancelled").select_related("fitness_class"):
        groups[(r.membership_id, month_start(local_date(r.fitness_class.starts_at, org.tz)))].append(r)
    expected_march = sum(100 for (_, month) in groups if month == date(2026, 3, 1))
    march = owner_client.get(f"{API}/reports/revenue/", {"start": "2026-03-01", "end": "2026-03-31"}).json()
    membership_row = next(r for r in march["rows"] if r["method"] == "membership")
    assert membership_row["paid_pennies"] == expected_march == 200
    assert membership_row["bookings"] == 3
    # Ann's two March classes: 50 + 50; a period with only the 10th holds only its share.
    tenth = owner_client.get(f"{API}/reports/revenue/", {"start": "2026-03-10", "end": "2026-03-10"}).json()
    assert next(r for r in tenth["rows"] if r["method"] == "membership")["paid_pennies"] == 50 + 100
    april = owner_client.get(f"{API}/reports/revenue/", {"start": "2026-04-01", "end": "2026-04-30"}).json()
    assert next(r for r in april["rows"] if r["method"] == "membership")["paid_pennies"] == 100


def test_membership_shares_of_an_odd_price_add_up_exactly(org, studio, venue, yoga):
    ann = f.customer(org, "Ann")
    membership = f.membership(org, ann, f.plan(org, "Odd", price=100), started_on=date(2026, 3, 1))
    for day in (2, 3, 4):
        f.booking(f.fitness_class(org, yoga, venue, f.local(org, date(2026, 3, day), 9)), ann, "attended",
                  "membership", membership=membership)
    shares = selectors.membership_shares(organization=org, start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert sorted(shares.values()) == [33, 33, 34] and sum(shares.values()) == 100


# --- 4. late arrivals: last 7 days, most minutes late first -----------------------------------------


def test_late_arrivals_default_to_the_last_seven_days_by_minutes_late(org, owner_client, studio, venue, yoga):
    people = [f.customer(org, f"P{i}") for i in range(5)]
    # (local day, minutes late). Today is 9 March: the last 7 days are 3..9 March, so the 1st is out.
    cases = [(date(2026, 3, 1), 30), (date(2026, 3, 4), 7), (date(2026, 3, 5), 25), (date(2026, 3, 7), 12),
             (date(2026, 3, 8), 3)]
    for person, (day, late) in zip(people, cases, strict=True):
        cls = f.fitness_class(org, yoga, venue, f.local(org, day, 9))
        f.booking(cls, person, "attended", minutes_late=late, was_late=late > 5)
    report = owner_client.get(f"{API}/reports/late-arrivals/").json()
    assert report["period"] == {"start": "2026-03-03", "end": "2026-03-09"}
    assert [a["minutes_late"] for a in report["arrivals"]] == [25, 12, 7]
    by_start = owner_client.get(f"{API}/reports/late-arrivals/", {"order": "class_start"}).json()
    assert [a["minutes_late"] for a in by_start["arrivals"]] == [7, 25, 12]
    csv_text = owner_client.get(f"{API}/reports/late-arrivals/", {"format": "csv"}).content.decode()
    assert [line.split(",")[-1] for line in csv_text.strip().splitlines()[1:]] == ["25", "12", "7"]
    bad = owner_client.get(f"{API}/reports/late-arrivals/", {"order": "name"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"


# --- 5. memberships and packages that cannot exist ------------------------------------------------


def test_membership_ending_before_it_starts_and_empty_package_are_refused(org, owner_client, studio):
    ann = f.customer(org, "Ann")
    plan = f.plan(org)
    bad = owner_client.post(f"{API}/memberships/", {"customer": ann.pk, "plan": plan.pk, "started_on": "2026-03-10",
                                                    "ended_on": "2026-03-09"}, format="json")
    assert bad.status_code == 400 and "ended_on" in str(bad.json())
    good = owner_client.post(f"{API}/memberships/", {"customer": ann.pk, "plan": plan.pk, "started_on": "2026-03-10",
                                                     "ended_on": "2026-03-10"}, format="json")
    assert good.status_code == 201
    moved = owner_client.patch(f"{API}/memberships/{good.json()['id']}/", {"started_on": "2026-03-11"}, format="json")
    assert moved.status_code == 400
    empty = owner_client.post(f"{API}/packages/", {"customer": ann.pk, "classes_total": 0,
                                                   "expires_at": "2026-06-01T00:00:00Z"}, format="json")
    assert empty.status_code == 400 and "classes_total" in str(empty.json())
    assert CustomerMembership.objects.count() == 1 and ClassPackage.objects.count() == 0


# --- 6. the waitlist position answered is the true one ----------------------------------------------
# The simultaneous version runs on PostgreSQL in test_postgres.py; here the order of sequential joins.


def test_waitlist_positions_follow_the_queue(org, owner_client, studio, venue, yoga):
    cls = f.fitness_class(org, yoga, venue, f.local(org, date(2026, 3, 10), 18), capacity=1)
    people = [f.customer(org, f"P{i}") for i in range(5)]
    answers = [_book(owner_client, cls, p, method="free") for p in people]
    assert [a.status_code for a in answers] == [201, 202, 202, 202, 202]
    positions = [a.json()["waitlist_entry"]["position"] for a in answers[1:]]
    listed = owner_client.get(f"{API}/classes/{cls.pk}/waitlist/").json()
    assert positions == [e["position"] for e in listed] == [1, 2, 3, 4]


# --- 7. no method given: membership, else package, else drop-in -----------------------------------


def test_at_the_plans_limit_with_no_method_a_package_then_a_drop_in_is_used(org, owner_client, studio, venue, yoga):
    ann = f.customer(org, "Ann")
    f.membership(org, ann, f.plan(org, "Two a month", limit=2), started_on=date(2026, 3, 1))
    f.package(org, ann, total=1, expires_at=NOW + timedelta(days=60))
    classes = [f.fitness_class(org, yoga, venue, f.local(org, date(2026, 3, 10 + i), 18)) for i in range(5)]
    methods = [_book(owner_client, cls, ann).json()["booking"]["method"] for cls in classes[:4]]
    assert methods == ["membership", "membership", "package", "drop_in"]
    explicit = _book(owner_client, classes[4], ann, method="membership")
    assert explicit.status_code == 409 and explicit.json()["code"] == "class_limit_reached"
    assert "drop_in" in explicit.json()["detail"]
    drop_in = Booking.objects.get(fitness_class=classes[3])
    assert drop_in.amount_paid_pennies == yoga.drop_in_price_pennies
    assert FitnessClass.objects.count() == 5
    assert Booking.objects.filter(status=BookingStatus.REGISTERED).count() == 4
