"""The engine plugin for class check-ins (source "bookings"): refuses a check-in without a valid
booking and marks the booking attended inside the check-in's transaction."""

from datetime import timedelta

from django.db import transaction

from attendance.exceptions import Refused
from attendance.plugins import CheckInContext, Plugin
from bookings import events
from bookings.models import Booking, BookingStatus
from organizations.realtime import broadcast, organization_channel


class BookingsPlugin(Plugin):
    sources = frozenset({"bookings"})

    def before_check_in(self, ctx: CheckInContext) -> None:
        from bookings.services import studio_options

        booking_id = ctx.options.get("booking_id")
        booking = None
        if booking_id is not None:
            booking = (
                Booking.objects.select_for_update(of=("self",)).select_related("fitness_class")
                .filter(pk=booking_id, organization=ctx.organization, customer_id=ctx.attendee.pk).first()
            )
        if booking is None:
            raise Refused(f"{ctx.attendee.attendance_name()} has no booking for a class now.", code="not_booked")
        cls = booking.fitness_class
        if cls.is_cancelled:
            raise Refused("This class has been cancelled.", code="class_cancelled", booking_id=booking.pk)
        if booking.status == BookingStatus.ATTENDED:
            raise Refused("This booking is already checked in.", code="already_attended", booking_id=booking.pk)
        if booking.status in (BookingStatus.CANCELLED, BookingStatus.LATE_CANCELLED):
            raise Refused("This booking was cancelled.", code="booking_cancelled", booking_id=booking.pk)
        opens = cls.starts_at - timedelta(minutes=studio_options(ctx.organization).check_in_opens_minutes)
        if ctx.at < opens:
            raise Refused("Check-in for this class has not opened yet.", code="too_early", opens_at=opens,
                          booking_id=booking.pk)
        if ctx.at > cls.ends_at:
            raise Refused("This class has ended.", code="class_ended", booking_id=booking.pk)
        ctx.options["booking"] = booking

    def after_check_in(self, ctx: CheckInContext, check_in) -> None:
        from bookings.services import studio_options

        booking = ctx.options["booking"]
        start = booking.fitness_class.starts_at
        minutes_late = max(0, int((ctx.at - start).total_seconds() // 60))
        booking.status = BookingStatus.ATTENDED
        booking.checked_in_at = ctx.at
        booking.check_in_id = check_in.pk
        booking.minutes_late = minutes_late
        booking.was_late = minutes_late > studio_options(ctx.organization).late_grace_minutes
        booking.save(update_fields=["status", "checked_in_at", "check_in_id", "minutes_late", "was_late"])
        transaction.on_commit(lambda: events.booking_attended.send(sender=Booking, booking=booking), robust=True)
        broadcast(organization_channel(ctx.organization.slug), events.BOOKING_ATTENDED, {
            "booking_id": booking.pk, "class_id": booking.fitness_class_id, "customer_id": booking.customer_id,
            "minutes_late": minutes_late, "was_late": booking.was_late,
        })
