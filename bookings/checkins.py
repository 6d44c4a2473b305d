"""A customer's check-in to a class (through the engine; the bookings plugin in bookings/plugins.py
marks the booking attended or refuses) and the job that marks no-shows of ended classes."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from attendance import services as engine
from attendance.models import Member
from bookings import events
from bookings.exceptions import BookingNotFound
from bookings.models import HOLDING_STATUSES, Booking, BookingStatus, FitnessClass
from bookings.services import check_tenant, studio_options
from organizations.models import Organization

CHECK_IN_SOURCE = "bookings"


def booking_for_check_in(
    *, organization: Organization, customer: Member, at: datetime, fitness_class: FitnessClass | None = None
) -> Booking | None:
    """Find the booking a customer arriving at `at` checks in to: the one for `fitness_class`, else
    their registered booking whose check-in window (opening before the start, until the end) holds `at`."""
    rows = Booking.objects.filter(organization=organization, customer=customer).select_related("fitness_class")
    if fitness_class is not None:
        holding = rows.filter(fitness_class=fitness_class).order_by("-booked_at", "-id")
        return holding.filter(status__in=HOLDING_STATUSES).first() or holding.first()
    opens = timedelta(minutes=studio_options(organization).check_in_opens_minutes)
    return (
        rows.filter(status=BookingStatus.REGISTERED, fitness_class__starts_at__lte=at + opens, fitness_class__ends_at__gte=at)
        .order_by("fitness_class__starts_at", "id")
        .first()
    )


def class_check_in(
    *,
    organization: Organization,
    customer: Member,
    booking: Booking | None = None,
    fitness_class: FitnessClass | None = None,
    method: str = "manual",
    at: datetime | None = None,
    actor=None,
    device=None,
) -> Booking:
    """Check a customer in to a class through the engine; the bookings plugin marks the booking
    attended in the check-in's transaction, or refuses (`not_booked`, `class_cancelled`, ...) and
    the engine records the refusal. Call outside any transaction."""
    check_tenant(organization, customer, booking, fitness_class)
    at = at or timezone.now()
    if booking is None:
        booking = booking_for_check_in(organization=organization, customer=customer, at=at, fitness_class=fitness_class)
    elif booking.customer_id != customer.pk:
        raise BookingNotFound("That booking belongs to someone else.")
    cls = booking.fitness_class if booking is not None else fitness_class
    engine.check_in(
        organization=organization, attendee=customer, method=method, source=CHECK_IN_SOURCE, at=at,
        expected_checkout_at=cls.ends_at if cls is not None and cls.ends_at > at else None,
        location=cls.venue.name if cls is not None else "", actor=actor, device=device,
        metadata={"booking_id": booking.pk if booking else None, "class_id": cls.pk if cls else None},
        options={"booking_id": booking.pk if booking else None},
    )
    return Booking.objects.get(pk=booking.pk)


def organizations_with_no_shows_due(*, before: datetime) -> list[int]:
    """Ids of the organizations with a still-registered booking of a class that ended by `before`."""
    due = Booking.objects.filter(status=BookingStatus.REGISTERED, fitness_class__ends_at__lte=before)
    return sorted(set(due.values_list("organization_id", flat=True)))


def mark_no_shows(*, before: datetime | None = None, organization: Organization | None = None,
                  batch_size: int = 1000) -> int:
    """Mark `no_show` every still-registered booking of a class that ended at or before `before`.

    Works in batches, each its own transaction; the conditional update makes a concurrent
    check-in or a second run harmless. Returns the number marked.
    """
    before = before or timezone.now()
    due = Booking.objects.filter(
        status=BookingStatus.REGISTERED, fitness_class__ends_at__lte=before
    )
    if organization is not None:
        due = due.filter(organization=organization)
    marked = 0
    while True:
        with transaction.atomic():
            rows = list(due.order_by("fitness_class__ends_at", "id").values_list("id", "organization_id")[:batch_size])
            if not rows:
                break
            ids = [pk for pk, _ in rows]
            updated = Booking.objects.filter(pk__in=ids, status=BookingStatus.REGISTERED).update(status=BookingStatus.NO_SHOW)
            marked += updated
            by_org: dict[int, list[int]] = {}
            for pk, org_id in rows:
                by_org.setdefault(org_id, []).append(pk)
            for org_id, booking_ids in by_org.items():
                transaction.on_commit(
                    lambda org_id=org_id, booking_ids=booking_ids: events.no_shows_marked.send(
                        sender=Booking, organization_id=org_id, booking_ids=booking_ids
                    ),
                    robust=True,
                )
        if updated == 0:
            break
    return marked
