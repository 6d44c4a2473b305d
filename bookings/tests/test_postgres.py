"""PostgreSQL-only guarantees: the last-place race and row-level security as a second wall."""

import threading
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from attendance.models import CheckIn, Member
from bookings import rls, services
from bookings.models import Booking, FitnessClass, WaitlistEntry
from bookings.tests import factories as f

pytestmark = pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL (row locks, RLS)")

NOW = datetime(2026, 3, 9, 9, 0, tzinfo=ZoneInfo("UTC"))


@pytest.mark.django_db(transaction=True)
def test_two_customers_taking_the_last_place_at_once(org, studio, venue, yoga):
    cls = f.fitness_class(org, yoga, venue, NOW + timedelta(days=1), capacity=2)
    f.booking(cls, f.customer(org, "Holder"))
    racers = [f.customer(org, "Left"), f.customer(org, "Right")]
    barrier = threading.Barrier(len(racers))
    outcomes, errors = [], []

    def take_place(person):
        try:
            barrier.wait(timeout=5)
            outcomes.append(services.booking_create(organization=org, fitness_class=cls, customer=person,
                                                    method="free", at=NOW).result)
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    for _ in range(5):  # several rounds: each must end with exactly one booked, one waitlisted
        threads = [threading.Thread(target=take_place, args=(p,)) for p in racers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=20)
        assert not errors
        assert sorted(outcomes) == ["booked", "waitlisted"]
        assert Booking.objects.filter(fitness_class=cls, status="registered").count() == 2
        outcomes.clear()
        Booking.objects.filter(fitness_class=cls, customer__in=racers).delete()
        WaitlistEntry.objects.filter(fitness_class=cls).delete()


@pytest.fixture
def probe_role(db):
    """An ordinary (non-superuser) role with table access: superusers bypass RLS even when forced."""
    name = f"bookings_probe_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} NOLOGIN NOSUPERUSER NOBYPASSRLS")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {name}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name}")
        cursor.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {name}")
    yield name  # created inside the test's transaction: rolled back with it


@pytest.fixture
def two_studios(org, other_org, studio):
    mine = f.fitness_class(org, f.class_type(org), f.venue(org), NOW)
    theirs = f.fitness_class(other_org, f.class_type(other_org), f.venue(other_org), NOW)
    for i in range(3):
        f.booking(mine, f.customer(org, f"Mine{i}"))
    for i in range(2):
        f.booking(theirs, f.customer(other_org, f"Theirs{i}"))
    return mine, theirs


def as_role(role):
    class _Role:
        def __enter__(self):
            with connection.cursor() as cursor:
                cursor.execute(f"SET ROLE {role}")

        def __exit__(self, *exc):
            rls.deactivate()
            with connection.cursor() as cursor:
                cursor.execute("RESET ROLE")

    return _Role()


def count_by_org(cursor) -> dict:
    cursor.execute("SELECT organization_id, count(*) FROM bookings_booking GROUP BY organization_id")
    return dict(cursor.fetchall())


def test_rls_is_enabled_and_forced_on_every_bookings_table(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relname LIKE 'bookings\\_%%' AND relkind = 'r'"
        )
        rows = cursor.fetchall()
    assert len(rows) == 12  # the class–instructor link table included
    assert all(enabled and forced for _, enabled, forced in rows)


def test_raw_sql_in_one_organizations_context_cannot_read_anothers(org, other_org, two_studios, probe_role):
    with as_role(probe_role), connection.cursor() as cursor:
        rls.activate(org)
        assert count_by_org(cursor) == {org.pk: 3}
        cursor.execute("SELECT count(*) FROM bookings_booking WHERE organization_id = %s", [other_org.pk])
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM bookings_fitnessclass")
        assert cursor.fetchone()[0] == 1
        # Writing a row of another organization is refused by the policy's WITH CHECK.
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            cursor.execute("UPDATE bookings_booking SET organization_id = %s", [other_org.pk])
        rls.activate(other_org)
        assert count_by_org(cursor) == {other_org.pk: 2}
        # No organization: nothing at all, and the old bypass setting switches nothing on.
        rls.deactivate()
        assert count_by_org(cursor) == {}
        cursor.execute("SELECT set_config('app.rls_bypass', 'on', false)")
        assert count_by_org(cursor) == {}


def test_an_unscoped_orm_query_is_still_walled(org, two_studios, probe_role):
    with as_role(probe_role):
        rls.activate(org)
        assert set(Booking.objects.values_list("organization_id", flat=True)) == {org.pk}
        assert FitnessClass.objects.count() == 1


def test_api_request_runs_in_its_organizations_context_and_is_reset_after(org, owner, owner_client, two_studios, probe_role):
    with as_role(probe_role):
        response = owner_client.get("/api/v1/bookings/bookings/")
        assert response.status_code == 200, response.content
        assert {row["class_id"] for row in response.json()["results"]} == {two_studios[0].pk}
        assert rls.current_setting() in ("", None)  # request_finished put the connection back


def test_inside_a_bookings_request_the_database_context_is_the_callers_organization(
        org, owner_client, studio, venue, yoga, probe_role):
    """Observed from a post_save receiver while the API creates a booking."""
    from django.db.models.signals import post_save
    from django.utils import timezone

    upcoming = f.fitness_class(org, yoga, venue, timezone.now() + timedelta(days=1))
    customer = f.customer(org, "Seen")  # written before the ordinary role: customers are walled too

    seen = []

    def observe(sender, instance, created, **kwargs):
        seen.append(rls.current_setting())

    post_save.connect(observe, sender=Booking, dispatch_uid="rls-observer")
    try:
        with as_role(probe_role):
            response = owner_client.post("/api/v1/bookings/bookings/", {
                "class_id": upcoming.pk, "customer_id": customer.pk, "method": "free"},
                format="json")
            after = rls.current_setting()
    finally:
        post_save.disconnect(dispatch_uid="rls-observer")
    assert response.status_code == 201, response.content
    assert seen == [str(org.pk)]
    assert after in ("", None)


def test_a_request_that_left_its_transaction_aborted_does_not_break_the_reset(org, caplog):
    rls.activate(org)
    with pytest.raises(DatabaseError), connection.cursor() as cursor:
        cursor.execute("SELECT 1 / 0")
    rls.on_request_boundary(sender=None)  # as request_finished would
    assert "could not reset the bookings RLS context" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_simultaneous_waitlist_joins_answer_their_true_positions(org, studio, venue, yoga):
    """20 customers join a full class at once: the positions answered are 1..20, each the one the
    waitlist lists for that entry afterwards."""
    cls = f.fitness_class(org, yoga, venue, timezone.now() + timedelta(days=1), capacity=1)
    f.booking(cls, f.customer(org, "Holder"))
    racers = [f.customer(org, f"W{i}") for i in range(20)]
    barrier = threading.Barrier(len(racers))
    answered, errors = {}, []

    def join(person):
        try:
            barrier.wait(timeout=10)
            outcome = services.booking_create(organization=org, fitness_class=cls, customer=person, method="free")
            answered[outcome.waitlist_entry.pk] = outcome.position
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=join, args=(p,)) for p in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    queue = list(WaitlistEntry.objects.filter(fitness_class=cls, status="waiting").order_by("created_at", "id"))
    assert sorted(answered.values()) == list(range(1, 21))
    assert {entry.pk: i for i, entry in enumerate(queue, start=1)} == answered


def test_a_session_that_named_no_organization_sees_nothing(org, other_org, two_studios, probe_role):
    """The way production runs: an ordinary role, a session whose requests have not named an organization
    (the setting made inside earlier tests' transactions rolled back with them)."""
    assert rls.current_setting() in ("", None)
    with as_role(probe_role), connection.cursor() as cursor:
        for table in ("bookings_booking", "bookings_fitnessclass", "bookings_fitnessclass_instructors"):
            cursor.execute(f"SELECT count(*) FROM {table}")
            assert cursor.fetchone()[0] == 0, table
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            cursor.execute("INSERT INTO bookings_venue (organization_id, name, address, capacity) "
                           "VALUES (%s, 'Sneaky', '', 1)", [org.pk])


def test_the_instructor_links_follow_their_class(org, other_org, two_studios, probe_role):
    mine, theirs = two_studios
    mine.instructors.set([f.instructor(org, "Ines")])
    theirs.instructors.set([f.instructor(other_org, "Otto")])
    with as_role(probe_role), connection.cursor() as cursor:
        rls.activate(org)
        cursor.execute("SELECT fitnessclass_id FROM bookings_fitnessclass_instructors")
        assert [row[0] for row in cursor.fetchall()] == [mine.pk]
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            cursor.execute("INSERT INTO bookings_fitnessclass_instructors (fitnessclass_id, instructor_id) "
                           "SELECT %s, id FROM bookings_instructor LIMIT 1", [theirs.pk])


# --- the customers (attendance_member: studio customers and gym members) ---------------------------


def count_members_by_org(cursor) -> dict:
    cursor.execute("SELECT organization_id, count(*) FROM attendance_member GROUP BY organization_id")
    return dict(cursor.fetchall())


def test_rls_is_enabled_and_forced_on_the_customers(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'attendance_member'")
        assert cursor.fetchone() == (True, True)


def test_the_customers_are_walled_like_the_bookings(org, other_org, two_studios, probe_role):
    with as_role(probe_role), connection.cursor() as cursor:
        # No organization named: no customer at all, none can be written, and no setting widens it.
        assert count_members_by_org(cursor) == {}
        cursor.execute("SELECT set_config('app.rls_bypass', 'on', false)")
        assert count_members_by_org(cursor) == {}
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            Member.objects.create(organization=org, first_name="Sneaky")
        rls.activate(org)
        assert count_members_by_org(cursor) == {org.pk: 3}
        assert set(Member.objects.values_list("organization_id", flat=True)) == {org.pk}
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            cursor.execute("UPDATE attendance_member SET organization_id = %s", [other_org.pk])
        rls.activate(other_org)
        assert count_members_by_org(cursor) == {other_org.pk: 2}


def test_the_engines_check_in_runs_as_an_ordinary_role(org, other_org, owner_client, member, other_member, probe_role):
    with as_role(probe_role):
        response = owner_client.post("/api/v1/check-ins/", {"attendee_id": member.pk}, format="json")
        assert response.status_code == 201, response.content
        assert owner_client.post("/api/v1/check-ins/", {"attendee_id": other_member.pk},
                                 format="json").status_code == 404
        assert owner_client.get("/api/v1/members/").json()["count"] == 1
        assert rls.current_setting() in ("", None)
    assert CheckIn.objects.filter(attendee_id=member.pk, checked_out_at__isnull=True).count() == 1


def test_a_page_lists_its_own_customers_as_an_ordinary_role(org, other_org, owner, member, other_member, probe_role):
    from django.test import Client

    from gamification import services as gym_services

    gym_services.gym_configure(organization=org)
    browser = Client()
    browser.force_login(owner)
    with as_role(probe_role):
        page = browser.get("/gym/acme/cards/")
        assert rls.current_setting() in ("", None)
    assert page.status_code == 200
    assert "Ada Lovelace" in page.content.decode()
    assert "Otto" not in page.content.decode()
