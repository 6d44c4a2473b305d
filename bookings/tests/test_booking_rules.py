"""Booking rules through the services: capacity and waitlist, late cancellation, plan limits,
packages and weekly series (across a DST change)."""

import asyncio
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer

from bookings import events, services
from bookings.models import Booking, BookingStatus, WaitlistEntry
from bookings.tests import factories as f
from config.errors import DomainError
from realtime.tests.helpers import running_relay

NOW = datetime(2026, 3, 9, 9, 0, tzinfo=ZoneInfo("UTC"))  # 10:00 in Madrid


def book(org, cls, person, **kw):
    return services.booking_create(organization=org, fitness_class=cls, customer=person, at=kw.pop("at", NOW), **kw)


def test_capacity_then_waitlist_then_class_full(org, tomorrow_class):
    a, b, c, d = (f.customer(org, n) for n in "ABCD")
    assert book(org, tomorrow_class, a, method="drop_in").result == "booked"
    second = book(org, tomorrow_class, b, method="drop_in")
    assert second.booking.amount_paid_pennies == 1200
    waiting = book(org, tomorrow_class, c, method="drop_in")
    assert waiting.result == "waitlisted" and waiting.waitlist_entry.status == "waiting"
    with pytest.raises(DomainError) as error:
        book(org, tomorrow_class, d, method="drop_in", waitlist=False)
    assert error.value.code == "class_full"
    with pytest.raises(DomainError) as error:
        book(org, tomorrow_class, a, method="drop_in")
    assert error.value.code == "already_booked"
    with pytest.raises(DomainError) as error:
        book(org, tomorrow_class, c, method="drop_in")
    assert error.value.code == "already_waitlisted"


def test_capacity_override_beats_venue_capacity(org, studio, venue, yoga):
    cls = f.fitness_class(org, yoga, venue, NOW + timedelta(days=1), capacity=1)
    book(org, cls, f.customer(org, "A"), method="free")
    assert book(org, cls, f.customer(org, "B"), method="free").result == "waitlisted"


def test_cancel_promotes_first_come_first_served_with_event(org, tomorrow_class, django_capture_on_commit_callbacks):
    a, b, c, d = (f.customer(org, n) for n in "ABCD")
    first = book(org, tomorrow_class, a, method="drop_in").booking
    book(org, tomorrow_class, b, method="drop_in")
    book(org, tomorrow_class, c, method="drop_in", at=NOW + timedelta(minutes=1))
    book(org, tomorrow_class, d, method="drop_in", at=NOW + timedelta(minutes=2))
    received = []
    events.waitlist_promoted.connect(lambda sender, booking, **kw: received.append(booking.pk), weak=False, dispatch_uid="t1")

    def cancel():
        with django_capture_on_commit_callbacks(execute=True):
            return services.booking_cancel(organization=org, booking=first, at=NOW)

    async def cancel_and_listen():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(f"org-{org.slug}", channel)
        result = await sync_to_async(cancel)()
        async with running_relay(targets=["layer"]):
            return result, await asyncio.wait_for(layer.receive(channel), 5)

    try:
        cancelled, message = async_to_sync(cancel_and_listen)()
    finally:
        events.waitlist_promoted.disconnect(dispatch_uid="t1")
    assert cancelled.status == BookingStatus.CANCELLED and cancelled.refunded_pennies == 1200
    promoted = Booking.objects.get(customer=c, fitness_class=tomorrow_class)
    assert promoted.status == "registered" and promoted.promoted_from_waitlist
    assert received == [promoted.pk]
    frame = json.loads(message["text"])
    assert frame["event"] == events.WAITLIST_PROMOTED and frame["data"]["customer_id"] == c.pk
    assert WaitlistEntry.objects.get(customer=c).status == "promoted"
    assert WaitlistEntry.objects.get(customer=d).status == "waiting"


def test_late_cancellation_inside_the_window_keeps_the_credit(org, tomorrow_class):
    person = f.customer(org, "Pat")
    pack = f.package(org, person, total=3, expires_at=NOW + timedelta(days=30), price=3000)
    booking = book(org, tomorrow_class, person, method="package").booking
    assert booking.amount_paid_pennies == 1000
    pack.refresh_from_db()
    assert pack.classes_used == 1
    # The class starts 2026-03-10 17:00 UTC; 12 hours before is 05:00 UTC.
    late = services.booking_cancel(organization=org, booking=booking, at=datetime(2026, 3, 10, 5, 1, tzinfo=ZoneInfo("UTC")))
    assert late.status == BookingStatus.LATE_CANCELLED and late.refunded_pennies == 0
    pack.refresh_from_db()
    assert pack.classes_used == 1
    again = book(org, tomorrow_class, person, method="package").booking
    early = services.booking_cancel(organization=org, booking=again, at=datetime(2026, 3, 10, 5, 0, tzinfo=ZoneInfo("UTC")))
    assert early.status == BookingStatus.CANCELLED
    pack.refresh_from_db()
    assert pack.classes_used == 1  # the second credit came back
    with pytest.raises(DomainError) as error:
        services.booking_cancel(organization=org, booking=early, at=NOW)
    assert error.value.code == "not_cancellable"


def test_cancel_after_start_is_refused(org, tomorrow_class):
    booking = book(org, tomorrow_class, f.customer(org, "A"), method="free").booking
    with pytest.raises(DomainError) as error:
        services.booking_cancel(organization=org, booking=booking, at=tomorrow_class.starts_at)
    assert error.value.code == "class_started"


def test_studio_window_is_per_studio(org, tomorrow_class, studio):
    studio.late_cancel_hours = 1
    studio.save()
    booking = book(org, tomorrow_class, f.customer(org, "A"), method="free").booking
    cancelled = services.booking_cancel(organization=org, booking=booking, at=tomorrow_class.starts_at - timedelta(hours=2))
    assert cancelled.status == BookingStatus.CANCELLED


def test_plan_class_limit_per_week(org, studio, venue, yoga):
    person = f.customer(org, "Lim")
    weekly = f.plan(org, "Two a week", limit=2, period="week")
    f.membership(org, person, weekly, started_on=date(2026, 1, 1))
    # Week of Monday 2026-03-09; Sunday 23:30 local is still this week, Monday 00:30 the next.
    mon = f.fitness_class(org, yoga, venue, f.local(org, date(2026, 3, 9), 19))
    sun = f.fitness_class(org, yoga, venue, f.local(org, date(2026, 3, 15), 23, 30), minutes=25)
    wed = f.fitness_class(org, yoga, venue, f.local(org, date(2026, 3, 11), 19))
    next_mon = f.fitness_class(org, yoga, venue, f.local(org, date(2026, 3, 16), 0, 30))
    first = book(org, mon, person).booking
    assert first.method == "membership" and first.membership is not None
    on_sunday = book(org, sun, person).booking
    with pytest.raises(DomainError) as error:
        book(org, wed, person, method="membership")
    assert error.value.code == "class_limit_reached" and error.value.extra == {"limit": 2, "period": "week"}
    assert book(org, next_mon, person).booking.method == "membership"
    # A late cancellation (Monday's class is 9 hours away) still counts; an early one gives it back.
    assert services.booking_cancel(organization=org, booking=first, at=NOW).status == "late_cancelled"
    with pytest.raises(DomainError):
        book(org, wed, person, method="membership")
    assert services.booking_cancel(organization=org, booking=on_sunday, at=NOW).status == "cancelled"
    assert book(org, wed, person).booking.method == "membership"


def test_membership_must_cover_the_class_date(org, tomorrow_class):
    person = f.customer(org, "Old")
    f.membership(org, person, f.plan(org), started_on=date(2025, 1, 1), ended_on=date(2026, 3, 9))
    with pytest.raises(DomainError) as error:
        book(org, tomorrow_class, person, method="membership")
    assert error.value.code == "no_active_membership"
    assert book(org, tomorrow_class, person).booking.method == "drop_in"  # auto: no plan, no package


def test_package_used_up_and_expired(org, studio, venue, yoga):
    person = f.customer(org, "Pack")
    classes = [f.fitness_class(org, yoga, venue, NOW + timedelta(days=d, hours=8)) for d in (1, 2, 3)]
    f.package(org, person, total=2, expires_at=NOW + timedelta(days=2, hours=12))
    assert book(org, classes[0], person).booking.method == "package"  # auto picks the package
    with pytest.raises(DomainError) as error:
        book(org, classes[2], person, method="package")  # starts after the package expires
    assert error.value.code == "no_package_credit"
    book(org, classes[1], person, method="package")
    with pytest.raises(DomainError) as error:
        book(org, classes[2], person, method="package")
    assert error.value.code == "no_package_credit"


def test_promotion_skips_a_customer_who_can_no_longer_book(org, studio, venue, yoga):
    cls = f.fitness_class(org, yoga, venue, NOW + timedelta(days=1), capacity=1)
    other = f.fitness_class(org, yoga, venue, NOW + timedelta(days=2))
    holder, limited, next_in_line = f.customer(org, "H"), f.customer(org, "L"), f.customer(org, "N")
    f.membership(org, limited, f.plan(org, "One a month", limit=1), started_on=date(2026, 1, 1))
    first = book(org, cls, holder, method="free").booking
    assert book(org, cls, limited, method="membership").result == "waitlisted"
    book(org, cls, next_in_line, method="free", at=NOW + timedelta(seconds=1))
    book(org, other, limited, method="membership")  # uses the month's only class
    services.booking_cancel(organization=org, booking=first, at=NOW)
    skipped = WaitlistEntry.objects.get(customer=limited)
    assert skipped.status == "skipped" and skipped.skip_code == "class_limit_reached"
    assert Booking.objects.get(fitness_class=cls, customer=next_in_line).status == "registered"


def test_more_capacity_promotes_and_class_cancel_refunds(org, tomorrow_class):
    people = [f.customer(org, n) for n in "ABC"]
    for p in people:
        book(org, tomorrow_class, p, method="drop_in")
    services.fitness_class_set_capacity(organization=org, fitness_class=tomorrow_class, capacity=3, at=NOW)
    assert Booking.objects.filter(fitness_class=tomorrow_class, status="registered").count() == 3
    assert services.fitness_class_cancel(organization=org, fitness_class=tomorrow_class, at=NOW) == 3
    assert set(Booking.objects.values_list("status", "refunded_pennies")) == {("cancelled", 1200)}
    with pytest.raises(DomainError) as error:
        book(org, tomorrow_class, f.customer(org, "D"))
    assert error.value.code == "class_cancelled"


def test_started_class_and_foreign_customer_are_refused(org, other_org, tomorrow_class):
    with pytest.raises(DomainError) as error:
        book(org, tomorrow_class, f.customer(org, "Late"), at=tomorrow_class.starts_at)
    assert error.value.code == "class_started"
    with pytest.raises(DomainError) as error:
        book(org, tomorrow_class, f.customer(other_org, "Foreign"))
    assert error.value.code == "member_not_found" and error.value.status_code == 404


def test_weekly_series_across_the_dst_change(org, studio, venue, yoga):
    """Madrid leaves summer time on Sunday 2026-10-25: 18:00 local is 16:00 UTC before, 17:00 after."""
    person = f.customer(org, "Series")
    tuesdays = [date(2026, 10, 13), date(2026, 10, 20), date(2026, 10, 27), date(2026, 11, 3), date(2026, 11, 10)]
    classes = [f.fitness_class(org, yoga, venue, f.local(org, d, 18), capacity=1) for d in tuesdays]
    assert classes[1].starts_at.hour == 16 and classes[2].starts_at.hour == 17
    f.fitness_class(org, yoga, venue, f.local(org, date(2026, 10, 20), 19))  # same day, other time
    f.fitness_class(org, yoga, f.venue(org, "Studio B", 10), f.local(org, date(2026, 10, 27), 18))  # other venue
    book(org, classes[2], f.customer(org, "Early bird"), method="free", at=datetime(2026, 10, 1, tzinfo=ZoneInfo("UTC")))
    result = services.booking_book_series(
        organization=org, customer=person, fitness_class=classes[0], until=date(2026, 11, 3), method="drop_in",
        at=datetime(2026, 10, 1, tzinfo=ZoneInfo("UTC")),
    )
    assert [i["class_id"] for i in result.items] == [c.pk for c in classes[:4]]
    assert [i["result"] for i in result.items] == ["booked", "booked", "waitlisted", "booked"]
    bookings = Booking.objects.filter(series=result.series).order_by("fitness_class__starts_at")
    assert [b.fitness_class_id for b in bookings] == [classes[0].pk, classes[1].pk, classes[3].pk]
    assert result.series.weekday == 1 and result.series.local_start_time.hour == 18
