"""Class check-in through the engine, and the no-show job."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from attendance import services as engine
from attendance.exceptions import Refused
from attendance.models import CheckIn, Refusal
from bookings import beat, checkins, services, tasks
from bookings.models import Booking
from bookings.tests import factories as f

UTC = ZoneInfo("UTC")
NOW = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)


@pytest.fixture
def booked(org, tomorrow_class):
    person = f.customer(org, "Ada")
    outcome = services.booking_create(organization=org, fitness_class=tomorrow_class, customer=person, method="drop_in", at=NOW)
    return outcome.booking


def test_check_in_marks_attended_with_minutes_late(org, booked, tomorrow_class):
    at = tomorrow_class.starts_at + timedelta(minutes=7, seconds=40)
    booking = checkins.class_check_in(organization=org, customer=booked.customer, method="qr_code", at=at)
    assert (booking.status, booking.minutes_late, booking.was_late, booking.checked_in_at) == ("attended", 7, True, at)
    row = CheckIn.objects.get(pk=booking.check_in_id)
    assert row.source == "bookings" and row.method == "qr_code"
    assert row.expected_checkout_at == tomorrow_class.ends_at and row.metadata["booking_id"] == booking.pk
    # The engine's auto check-out closes the session at the class end.
    assert engine.checkout_expired(organization=org, before=tomorrow_class.ends_at + timedelta(minutes=5)) == 1
    row.refresh_from_db()
    assert row.checked_out_at == tomorrow_class.ends_at and row.auto_closed


def test_within_the_grace_period_is_not_late_and_early_is_zero(org, tomorrow_class):
    on_time, early = f.customer(org, "On"), f.customer(org, "Early")
    for person in (on_time, early):
        services.booking_create(organization=org, fitness_class=tomorrow_class, customer=person, method="free", at=NOW)
    a = checkins.class_check_in(organization=org, customer=on_time, at=tomorrow_class.starts_at + timedelta(minutes=5))
    b = checkins.class_check_in(organization=org, customer=early, at=tomorrow_class.starts_at - timedelta(minutes=10))
    assert (a.minutes_late, a.was_late) == (5, False)
    assert (b.minutes_late, b.was_late) == (0, False)


def test_without_a_booking_the_engine_refuses_and_records_it(org, tomorrow_class):
    stranger = f.customer(org, "Nobody")
    with pytest.raises(Refused) as error:
        checkins.class_check_in(organization=org, customer=stranger, at=tomorrow_class.starts_at)
    assert error.value.code == "not_booked"
    refusal = Refusal.objects.get()
    assert (refusal.code, refusal.source, refusal.attendee_id) == ("not_booked", "bookings", stranger.pk)
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    ("when", "code"),
    [(-timedelta(minutes=31), "too_early"), (timedelta(minutes=61), "class_ended")],
)
def test_check_in_window(org, booked, tomorrow_class, when, code):
    with pytest.raises(Refused) as error:
        checkins.class_check_in(organization=org, customer=booked.customer, booking=booked,
                                at=tomorrow_class.starts_at + when)
    assert error.value.code == code
    assert Booking.objects.get(pk=booked.pk).status == "registered"


def test_cancelled_class_and_second_check_in_are_refused(org, booked, tomorrow_class):
    checkins.class_check_in(organization=org, customer=booked.customer, at=tomorrow_class.starts_at)
    engine.check_out(organization=org, attendee=booked.customer, at=tomorrow_class.starts_at + timedelta(minutes=2))
    with pytest.raises(Refused) as error:
        checkins.class_check_in(organization=org, customer=booked.customer, booking=booked,
                                at=tomorrow_class.starts_at + timedelta(minutes=5))
    assert error.value.code == "already_attended"
    other = f.customer(org, "Other")
    late_booking = services.booking_create(organization=org, fitness_class=tomorrow_class, customer=other,
                                           method="free", at=NOW).booking
    services.fitness_class_cancel(organization=org, fitness_class=tomorrow_class, at=NOW)
    with pytest.raises(Refused) as error:
        checkins.class_check_in(organization=org, customer=other, booking=late_booking, at=tomorrow_class.starts_at)
    assert error.value.code == "class_cancelled"


def test_no_show_job_marks_only_ended_classes_in_batches_and_is_idempotent(org, studio, venue, yoga):
    ended = f.fitness_class(org, yoga, venue, NOW - timedelta(hours=3), capacity=10)
    running = f.fitness_class(org, yoga, venue, NOW - timedelta(minutes=30), capacity=10)
    people = [f.customer(org, f"P{i}") for i in range(4)]
    for p in people[:3]:
        f.booking(ended, p)
    f.booking(ended, people[3], status="attended")
    f.booking(running, people[0])
    assert checkins.mark_no_shows(before=NOW, batch_size=2) == 3
    assert checkins.mark_no_shows(before=NOW) == 0
    assert sorted(Booking.objects.filter(fitness_class=ended).values_list("status", flat=True)) == [
        "attended", "no_show", "no_show", "no_show"]
    assert Booking.objects.get(fitness_class=running).status == "registered"
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert tasks.mark_no_shows.delay().get() == 1
    assert Booking.objects.get(fitness_class=running).status == "no_show"


def test_no_show_job_is_scheduled_every_five_minutes():
    [entry] = beat.schedules()
    assert entry["task"] == "bookings.tasks.mark_no_shows" and entry["every_seconds"] == 300


def test_no_show_job_runs_one_task_per_studio_with_ended_classes(org, other_org, studio, venue, yoga):
    ended = f.fitness_class(org, yoga, venue, NOW - timedelta(hours=3))
    theirs = f.fitness_class(other_org, f.class_type(other_org, "Spin"), f.venue(other_org, "B", 5), NOW - timedelta(hours=3))
    f.booking(ended, f.customer(org, "Mine"))
    f.booking(theirs, f.customer(other_org, "Theirs"))
    f.booking(f.fitness_class(org, yoga, venue, NOW + timedelta(hours=3)), f.customer(org, "Later"))
    with time_machine.travel(NOW, tick=False):
        assert tasks.mark_no_shows.delay().get() == 2  # one task per studio, each run (eagerly here)
    assert sorted(Booking.objects.values_list("status", flat=True)) == ["no_show", "no_show", "registered"]
    assert tasks.mark_organization_no_shows.delay(999_999).get() == 0  # a studio gone since: nothing to do
