"""Dashboard and history figures against a hand-made fixture; query counts pinned on hot paths."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from attendance import selectors, services
from attendance.models import CheckIn, Member

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")
MADRID = ZoneInfo("Europe/Madrid")
NOW = datetime(2026, 6, 30, 18, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def warm_content_types(db):
    """Content types are cached per process in production; warm the cache so counts are stable."""
    ContentType.objects.clear_cache()
    ContentType.objects.get_for_model(Member)


def add_history(org, member, count, start):
    ct = ContentType.objects.get_for_model(Member)
    CheckIn.objects.bulk_create(
        CheckIn(organization=org, attendee_type=ct, attendee_id=member.pk, checked_in_at=start + timedelta(hours=7 * i),
                checked_out_at=start + timedelta(hours=7 * i, minutes=30), duration=timedelta(minutes=30))
        for i in range(count)
    )


@time_machine.travel(NOW, tick=False)
def test_dashboard_figures(org):
    ana = Member.objects.create(organization=org, first_name="Ana")
    ben = Member.objects.create(organization=org, first_name="Ben")
    Member.objects.create(organization=org, first_name="Cleo")  # never visits
    # Ana: Mon 1 June 07:30 and 19:00 local, Tue 2 June 08:00. Ben: Mon 1 June 23:30 local (21:30 UTC).
    for member, moment in [
        (ana, datetime(2026, 6, 1, 7, 30, tzinfo=MADRID)),
        (ana, datetime(2026, 6, 1, 19, 0, tzinfo=MADRID)),
        (ana, datetime(2026, 6, 2, 8, 0, tzinfo=MADRID)),
        (ben, datetime(2026, 6, 1, 23, 30, tzinfo=MADRID)),
    ]:
        services.check_in(organization=org, attendee=member, at=moment)
        services.check_out(organization=org, attendee=member, at=moment + timedelta(minutes=45))
    data = selectors.dashboard(organization=org, start=date(2026, 6, 1), end=date(2026, 6, 7))
    assert data["totals"] == {"visits": 4, "unique_attendees": 2, "enabled_attendees": 3,
                              "activation_rate": 66.7, "average_visits_per_day": 0.57}
    assert data["visits_per_day"][:3] == [{"date": "2026-06-01", "visits": 3}, {"date": "2026-06-02", "visits": 1},
                                          {"date": "2026-06-03", "visits": 0}]
    hours = {slot["hour"]: slot["visits"] for slot in data["time_slots"] if slot["visits"]}
    assert hours == {7: 1, 8: 1, 19: 1, 23: 1}
    assert data["weekdays"][0] == {"weekday": 1, "visits": 3}  # Monday, local
    assert data["engagement"] == {"high": 1, "medium": 1, "low": 0, "inactive": 1}  # 3/week, 1/week
    assert [(t["name"], t["visits"]) for t in data["top_attendees"]] == [("Ana", 3), ("Ben", 1)]
    # Everyone's last visit was ~4 weeks before NOW; Cleo never came (not "at risk", never active).
    assert data["at_risk"]["count"] == 2
    assert {a["name"] for a in data["at_risk"]["attendees"]} == {"Ana", "Ben"}


@time_machine.travel(NOW, tick=False)
def test_dashboard_query_count_does_not_grow_with_history(org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from attendance import registry

    # One scan by local (day, hour), one per attendee, one count per attendee model, one for the top names.
    expected = 3 + len(registry.registered_models())
    members = [Member.objects.create(organization=org, first_name=f"M{i}") for i in range(3)]
    add_history(org, members[0], 20, NOW - timedelta(days=20))
    with CaptureQueriesContext(connection) as small_queries:
        small = selectors.dashboard(organization=org, start=date(2026, 6, 1), end=date(2026, 6, 30))
    for member in members:
        add_history(org, member, 300, NOW - timedelta(days=80))
    with CaptureQueriesContext(connection) as large_queries:
        large = selectors.dashboard(organization=org, start=date(2026, 6, 1), end=date(2026, 6, 30))
    assert len(small_queries) == len(large_queries) == expected
    assert large["totals"]["visits"] > small["totals"]["visits"]


def test_check_in_and_check_out_query_counts_are_pinned(org, member, django_assert_num_queries):
    add_history(org, member, 200, datetime(2025, 1, 1, tzinfo=UTC))
    first = datetime(2026, 6, 10, 9, tzinfo=UTC)
    # Savepoint, lock (with "has shifts?"), the open session (its own statement after the lock: the
    # locking statement does not see a session committed while it waited), "is this a gym?" (the gym
    # policy and plugin ask the organization's `gym` relation once per organization instance; an API
    # request loads it with the organization), the row's insert, a rollup update, a rollup insert (first
    # visit of the month), the attendee's counters, the occupancy and the outbox row for screens, the
    # overlap rule's one look-up, release.
    with django_assert_num_queries(12):
        services.check_in(organization=org, attendee=member, at=first)
    # Savepoint, lock, the open row, its update, rollup update, occupancy, outbox, release (the attendee
    # row is not written: its open session is the check-in row itself).
    with django_assert_num_queries(8):
        services.check_out(organization=org, attendee=member, at=first + timedelta(hours=1))
    # A later visit in the month: the rollup is bumped in place, and `org` already knows it is no gym.
    with django_assert_num_queries(10):
        services.check_in(organization=org, attendee=member, at=first + timedelta(hours=5))


def test_check_in_api_query_count(owner_client, member, org, django_assert_num_queries):
    services.check_in(organization=org, attendee=member, at=datetime(2026, 6, 10, 9, tzinfo=UTC))
    services.check_out(organization=org, attendee=member, at=datetime(2026, 6, 10, 10, tzinfo=UTC))
    # The caller's membership with its organization (and whether it is a gym), then the service's
    # (see above, without the gym question, with the overlap look-up); the attendee is read once, under the lock.
    with django_assert_num_queries(11):
        response = owner_client.post(
            "/api/v1/check-ins/", {"attendee_id": member.pk, "at": "2026-06-10T15:00:00Z"}, format="json"
        )
    assert response.status_code == 201


@time_machine.travel(NOW, tick=False)
def test_dashboard_and_history_over_http(owner_client, colleague_client, outsider_client, member, org):
    services.check_in(organization=org, attendee=member, at=datetime(2026, 6, 10, 9, tzinfo=UTC))
    services.check_out(organization=org, attendee=member, at=datetime(2026, 6, 10, 10, tzinfo=UTC))
    dashboard = owner_client.get("/api/v1/dashboard/", {"start": "2026-06-01", "end": "2026-06-30"})
    assert dashboard.status_code == 200
    assert dashboard.json()["totals"]["visits"] == 1
    assert colleague_client.get("/api/v1/dashboard/").status_code == 200
    bad = owner_client.get("/api/v1/dashboard/", {"start": "2026-06-30", "end": "2026-06-01"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    history = owner_client.get(f"/api/v1/history/member/{member.pk}/").json()
    assert history["sessions"][0]["duration_seconds"] == 3600
    assert history["months"] == [{"month": "2026-06", "visits": 1, "seconds_present": 3600, "days_present": 1,
                                  "kinds": {"visit": 1}}]
    assert outsider_client.get(f"/api/v1/history/member/{member.pk}/").status_code == 404


def test_occupancy_per_location(owner_client, org):
    for i, location in enumerate(["Pool", "Pool", "Gym"]):
        member = Member.objects.create(organization=org, first_name=f"P{i}")
        services.check_in(organization=org, attendee=member, location=location)
    data = owner_client.get("/api/v1/occupancy/").json()
    assert data["total"] == 3
    assert data["by_location"] == {"Gym": 1, "Pool": 2}


@pytest.mark.parametrize(
    "table, column",
    [
        ("attendance_checkin", "attendee_type_id"),
        ("attendance_member", "organization_id"),
        ("attendance_monthlyrollup", "attendee_type_id"),
        ("attendance_monthlyrollup", "organization_id"),
    ],
)
def test_no_single_column_index_where_a_composite_one_starts_with_the_column(table, column):
    """Each check-in writes every index of these tables; a single-column index on the first column
    of a composite one only costs writes. The composite index is still there to serve lookups."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    indexed = [c["columns"] for c in constraints.values() if c["index"] or c["unique"]]
    assert [column] not in indexed
    assert any(len(columns) > 1 and columns[0] == column for columns in indexed), indexed
