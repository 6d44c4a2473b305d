"""The bookings app's writes: book, cancel, waitlist promotion, weekly series and class
cancellation (a customer's check-in to a class and the no-show job are in bookings/checkins.py).

Lock order (to stay deadlock-free): the class row, then the customer row, then packages and
bookings. Booking and promotion hold the class row (`fitness_class_get_for_update`), so two
customers taking the last place are serialized: one is booked, the other waitlisted. Signals and
broadcasts run after commit.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from attendance import services as engine
from attendance.models import Member
from bookings import events
from bookings.exceptions import BookingConflict, BookingError, BookingNotFound
from bookings.models import (
    COUNTED_STATUSES,
    HOLDING_STATUSES,
    Booking,
    BookingMethod,
    BookingSeries,
    BookingSource,
    BookingStatus,
    ClassPackage,
    CustomerMembership,
    FitnessClass,
    LimitPeriod,
    Studio,
    WaitlistEntry,
    WaitlistStatus,
)
from config.errors import DomainError
from organizations.dates import day_start, local_date, month_start, next_month
from organizations.models import Organization
from organizations.realtime import broadcast, organization_channel

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BookingOutcome:
    """What booking a class did: a booking, or a place on the waitlist."""

    booking: Booking | None = None
    waitlist_entry: WaitlistEntry | None = None
    position: int | None = None  # the waitlist entry's place in the queue (1 = next), when it was made

    @property
    def result(self) -> str:
        return "booked" if self.booking is not None else "waitlisted"


@dataclass
class SeriesResult:
    series: BookingSeries
    items: list[dict[str, Any]] = field(default_factory=list)


# --- helpers ------------------------------------------------------------------------------------


def studio_options(organization: Organization) -> Studio:
    """Return the organization's studio options (defaults, unsaved, when it has none)."""
    studio = Studio.objects.filter(organization=organization).first()
    return studio or Studio(organization=organization)


def fitness_class_get_for_update(fitness_class: FitnessClass | int) -> FitnessClass:
    """Return the class locked until the transaction ends. Needs an atomic block."""
    pk = fitness_class.pk if isinstance(fitness_class, FitnessClass) else fitness_class
    return FitnessClass.objects.select_for_update(of=("self",)).select_related("venue", "class_type").get(pk=pk)


def _holding_count(fitness_class: FitnessClass) -> int:
    return Booking.objects.filter(fitness_class=fitness_class, status__in=HOLDING_STATUSES).count()


def check_tenant(organization: Organization, *objects) -> None:
    for obj in objects:
        if obj is not None and obj.organization_id != organization.pk:
            name = type(obj).__name__.lower()
            raise BookingNotFound(f"No such {name} in this organization.", code=f"{name}_not_found")


def _period_bounds(day: date, period: str, tz) -> tuple[datetime, datetime]:
    if period == LimitPeriod.WEEK:
        monday = day - timedelta(days=day.weekday())
        return day_start(monday, tz), day_start(monday + timedelta(days=7), tz)
    first = month_start(day)
    return day_start(first, tz), day_start(next_month(first), tz)


def covering_membership(customer: Member, day: date) -> CustomerMembership | None:
    """Return the customer's active membership valid on the local `day`, if any."""
    candidates = CustomerMembership.objects.select_related("plan").filter(
        customer=customer, active=True, started_on__lte=day
    ).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=day))
    return candidates.order_by("-started_on", "-id").first()


@dataclass(frozen=True)
class _Payment:
    method: str
    amount_pennies: int = 0
    membership: CustomerMembership | None = None
    package: ClassPackage | None = None


def _resolve_payment(
    organization: Organization, customer: Member, fitness_class: FitnessClass, method: str | None,
    amount_pennies: int | None,
) -> _Payment:
    """Check that `customer` may book `fitness_class` with `method` and return how it is paid. A
    package found is locked; the customer row must be.

    With no method, the first that applies: the membership (valid that day and under its class
    limit), else a package credit, else a drop-in at the class type's price.
    """
    day = local_date(fitness_class.starts_at, organization.tz)
    if method is None:
        membership = covering_membership(customer, day)
        if membership is not None and _membership_limit_error(organization, customer, membership, day) is None:
            return _Payment(method=BookingMethod.MEMBERSHIP, membership=membership)
        method = BookingMethod.PACKAGE if _usable_packages(customer, fitness_class).exists() else BookingMethod.DROP_IN
    if method == BookingMethod.MEMBERSHIP:
        membership = covering_membership(customer, day)
        if membership is None:
            raise BookingConflict(
                f"{customer.full_name} has no active membership on {day.isoformat()}.", code="no_active_membership"
            )
        error = _membership_limit_error(organization, customer, membership, day)
        if error is not None:
            raise error
        return _Payment(method=method, membership=membership)
    if method == BookingMethod.PACKAGE:
        package = _usable_packages(customer, fitness_class).select_for_update(of=("self",)).first()
        if package is None:
            raise BookingConflict(
                f"{customer.full_name} has no class package with a class left that is valid for this class.",
                code="no_package_credit",
            )
        return _Payment(method=method, package=package, amount_pennies=package.value_per_class_pennies)
    if method == BookingMethod.DROP_IN:
        price = fitness_class.class_type.drop_in_price_pennies
        return _Payment(method=method, amount_pennies=price if amount_pennies is None else amount_pennies)
    if method == BookingMethod.FREE:
        return _Payment(method=method)
    raise BookingError(f"Unknown booking method {method!r}; use one of: {', '.join(BookingMethod.values)}.",
                       code="invalid_method")


def _membership_limit_error(
    organization: Organization, customer: Member, membership: CustomerMembership, day: date
) -> BookingConflict | None:
    """The refusal when the membership's class limit for the period of `day` is used up, else None."""
    plan = membership.plan
    if plan.class_limit is None:
        return None
    start, end = _period_bounds(day, plan.limit_period, organization.tz)
    used = Booking.objects.filter(
        customer=customer, method=BookingMethod.MEMBERSHIP, status__in=COUNTED_STATUSES,
        fitness_class__starts_at__gte=start, fitness_class__starts_at__lt=end,
    )
    if used.count() < plan.class_limit:
        return None
    return BookingConflict(
        f"The {plan.name} plan allows {plan.class_limit} class(es) per {plan.limit_period}; "
        f"{customer.full_name} has used them all for that {plan.limit_period}. "
        "Book with a class package or as a drop-in (method package or drop_in), or with no method to let the studio choose.",
        code="class_limit_reached", limit=plan.class_limit, period=plan.limit_period,
    )


def _usable_packages(customer: Member, fitness_class: FitnessClass):
    return ClassPackage.objects.filter(
        customer=customer, classes_used__lt=F("classes_total"), expires_at__gt=fitness_class.starts_at
    ).order_by("expires_at", "id")


def _write_booking(
    organization: Organization, fitness_class: FitnessClass, customer: Member, payment: _Payment, *,
    source: str, at: datetime, series: BookingSeries | None = None, promoted: bool = False,
) -> Booking:
    if payment.package is not None:
        payment.package.classes_used += 1
        payment.package.save(update_fields=["classes_used"])
    return Booking.objects.create(
        organization=organization, fitness_class=fitness_class, customer=customer, status=BookingStatus.REGISTERED,
        method=payment.method, source=source, booked_at=at,
        amount_paid_pennies=payment.amount_pennies, package=payment.package, membership=payment.membership,
        series=series, promoted_from_waitlist=promoted,
    )


# --- booking ------------------------------------------------------------------------------------


def booking_create(
    *,
    organization: Organization,
    fitness_class: FitnessClass,
    customer: Member,
    method: str | None = None,
    source: str = BookingSource.WEB,
    amount_paid_pennies: int | None = None,
    at: datetime | None = None,
    waitlist: bool = True,
    series: BookingSeries | None = None,
) -> BookingOutcome:
    """Book `customer` into `fitness_class`, or put them on its waitlist when it is full.

    With `waitlist=False` a full class raises `class_full`. Rules: the class is not cancelled or
    started, the customer is active and not already booked or waiting, and the method's rule holds
    (membership valid and its class limit not reached, a package credit left, ...).
    """
    check_tenant(organization, fitness_class, customer)
    with transaction.atomic():
        cls = fitness_class_get_for_update(fitness_class)
        # Read the clock once the class is locked, so the queue's order (created_at, id) is the
        # order in which joins took the lock.
        at = at or timezone.now()
        if cls.is_cancelled:
            raise BookingConflict("This class has been cancelled.", code="class_cancelled")
        if at >= cls.starts_at:
            raise BookingConflict("This class has already started.", code="class_started")
        locked = engine.attendee_get_for_update(customer)
        if not locked.attendance_is_active():
            raise BookingConflict(f"{locked.full_name} is not an active customer.", code="customer_inactive")
        if Booking.objects.filter(fitness_class=cls, customer=locked, status__in=HOLDING_STATUSES).exists():
            raise BookingConflict(f"{locked.full_name} is already booked into this class.", code="already_booked")
        if WaitlistEntry.objects.filter(fitness_class=cls, customer=locked, status=WaitlistStatus.WAITING).exists():
            raise BookingConflict(f"{locked.full_name} is already on this class's waitlist.", code="already_waitlisted")
        full = _holding_count(cls) >= cls.capacity
        if full and not waitlist:
            raise BookingConflict("This class is full.", code="class_full", capacity=cls.capacity)
        payment = _resolve_payment(organization, locked, cls, method, amount_paid_pennies)
        if full:
            entry = WaitlistEntry.objects.create(
                organization=organization, fitness_class=cls, customer=locked, method=payment.method, source=source,
                created_at=at, series=series,
            )
            return BookingOutcome(waitlist_entry=entry, position=waitlist_position(entry))
        booking = _write_booking(organization, cls, locked, payment, source=source, at=at, series=series)
        return BookingOutcome(booking=booking)


def booking_cancel(*, organization: Organization, booking: Booking, at: datetime | None = None) -> Booking:
    """Cancel a registered booking: `late_cancelled` inside the studio's window (the credit is used),
    else `cancelled` (package credit and payment returned). The freed place goes to the waitlist."""
    check_tenant(organization, booking)
    at = at or timezone.now()
    window = timedelta(hours=studio_options(organization).late_cancel_hours)
    with transaction.atomic():
        cls = fitness_class_get_for_update(booking.fitness_class_id)
        row = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
        if row.status != BookingStatus.REGISTERED:
            raise BookingConflict(f"A booking that is {row.get_status_display().lower()} cannot be cancelled.",
                                  code="not_cancellable", status=row.status)
        if at >= cls.starts_at:
            raise BookingConflict("The class has started; the booking can no longer be cancelled.", code="class_started")
        row.cancelled_at = at
        if at > cls.starts_at - window:
            row.status = BookingStatus.LATE_CANCELLED
        else:
            row.status = BookingStatus.CANCELLED
            row.refunded_pennies = row.amount_paid_pennies
            if row.package_id is not None:
                package = ClassPackage.objects.select_for_update(of=("self",)).get(pk=row.package_id)
                package.classes_used = max(0, package.classes_used - 1)
                package.save(update_fields=["classes_used"])
        row.save(update_fields=["status", "cancelled_at", "refunded_pennies"])
        _promote_waitlist(organization, cls, at)
        return row


def _promote_waitlist(organization: Organization, cls: FitnessClass, at: datetime) -> list[Booking]:
    """Give free places to waiting customers, first come first served. The class row must be locked.

    A waiting customer who can no longer book (limit reached, package used up, ...) is skipped
    with the refusal's code, and the place goes to the next one.
    """
    if cls.is_cancelled or at >= cls.starts_at:
        return []
    promoted: list[Booking] = []
    free = cls.capacity - _holding_count(cls)
    entries = WaitlistEntry.objects.filter(fitness_class=cls, status=WaitlistStatus.WAITING).order_by("created_at", "id")
    for entry in entries:
        if free <= 0:
            break
        try:
            with transaction.atomic():
                customer = engine.attendee_get_for_update(entry.customer)
                if not customer.attendance_is_active():
                    raise BookingConflict("The customer is not active.", code="customer_inactive")
                payment = _resolve_payment(organization, customer, cls, entry.method, None)
                booking = _write_booking(organization, cls, customer, payment, source=entry.source, at=at,
                                         series=entry.series, promoted=True)
        except DomainError as error:
            entry.status, entry.skip_code, entry.resolved_at = WaitlistStatus.SKIPPED, error.code, at
            entry.save(update_fields=["status", "skip_code", "resolved_at"])
            continue
        entry.status, entry.booking, entry.resolved_at = WaitlistStatus.PROMOTED, booking, at
        entry.save(update_fields=["status", "booking", "resolved_at"])
        promoted.append(booking)
        free -= 1
        _announce_promotion(organization, booking)
    return promoted


def _announce_promotion(organization: Organization, booking: Booking) -> None:
    transaction.on_commit(lambda: events.waitlist_promoted.send(sender=Booking, booking=booking), robust=True)
    broadcast(organization_channel(organization.slug), events.WAITLIST_PROMOTED, {
        "booking_id": booking.pk,
        "class_id": booking.fitness_class_id,
        "customer_id": booking.customer_id,
        "class_starts_at": booking.fitness_class.starts_at.isoformat(),
    })


def waitlist_position(entry: WaitlistEntry) -> int:
    """The entry's place among the class's waiting entries, in promotion order (created_at, id)."""
    return WaitlistEntry.objects.filter(fitness_class_id=entry.fitness_class_id, status=WaitlistStatus.WAITING).filter(
        Q(created_at__lt=entry.created_at) | Q(created_at=entry.created_at, id__lte=entry.pk)
    ).count()


def waitlist_leave(*, organization: Organization, entry: WaitlistEntry, at: datetime | None = None) -> WaitlistEntry:
    """Take a waiting customer off the waitlist."""
    check_tenant(organization, entry)
    with transaction.atomic():
        row = WaitlistEntry.objects.select_for_update(of=("self",)).get(pk=entry.pk)
        if row.status != WaitlistStatus.WAITING:
            raise BookingConflict("This waitlist entry is no longer waiting.", code="not_waiting", status=row.status)
        row.status, row.resolved_at = WaitlistStatus.LEFT, at or timezone.now()
        row.save(update_fields=["status", "resolved_at"])
        return row


def fitness_class_set_capacity(
    *, organization: Organization, fitness_class: FitnessClass, capacity: int | None, at: datetime | None = None
) -> FitnessClass:
    """Change a class's capacity override (None: the venue's); new places go to the waitlist."""
    check_tenant(organization, fitness_class)
    with transaction.atomic():
        cls = fitness_class_get_for_update(fitness_class)
        cls.capacity_override = capacity
        cls.save(update_fields=["capacity_override"])
        _promote_waitlist(organization, cls, at or timezone.now())
        return cls


def fitness_class_cancel(*, organization: Organization, fitness_class: FitnessClass, at: datetime | None = None) -> int:
    """Cancel a class: every registered booking is cancelled and refunded, the waitlist expires.
    Returns the number of bookings cancelled."""
    check_tenant(organization, fitness_class)
    at = at or timezone.now()
    with transaction.atomic():
        cls = fitness_class_get_for_update(fitness_class)
        if cls.is_cancelled:
            return 0
        cls.cancelled_at = at
        cls.save(update_fields=["cancelled_at"])
        rows = list(Booking.objects.select_for_update(of=("self",)).filter(fitness_class=cls, status=BookingStatus.REGISTERED))
        for row in rows:
            row.status, row.cancelled_at, row.refunded_pennies = BookingStatus.CANCELLED, at, row.amount_paid_pennies
            if row.package_id is not None:
                ClassPackage.objects.filter(pk=row.package_id, classes_used__gt=0).update(classes_used=F("classes_used") - 1)
        Booking.objects.bulk_update(rows, ["status", "cancelled_at", "refunded_pennies"])
        WaitlistEntry.objects.filter(fitness_class=cls, status=WaitlistStatus.WAITING).update(
            status=WaitlistStatus.EXPIRED, resolved_at=at
        )
        return len(rows)


# --- weekly series ------------------------------------------------------------------------------


def booking_book_series(
    *,
    organization: Organization,
    customer: Member,
    fitness_class: FitnessClass,
    until: date,
    method: str | None = None,
    source: str = BookingSource.WEB,
    at: datetime | None = None,
) -> SeriesResult:
    """Book `customer` into `fitness_class` and every later class of the same type and venue at the
    same local weekday and time, up to the local date `until` (included). Each class is its own
    booking (or waitlist place); a class that cannot be booked is reported with its refusal code
    and does not stop the others."""
    check_tenant(organization, fitness_class, customer)
    tz = organization.tz
    first_local = fitness_class.starts_at.astimezone(tz)
    if until < first_local.date():
        raise BookingError("The series must end on or after the first class.", code="invalid_series")
    if (until - first_local.date()).days > 366:
        raise BookingError("A series can run for at most a year.", code="invalid_series")
    candidates = FitnessClass.objects.filter(
        organization=organization, class_type_id=fitness_class.class_type_id, venue_id=fitness_class.venue_id,
        cancelled_at__isnull=True, starts_at__gte=fitness_class.starts_at,
        starts_at__lt=day_start(until + timedelta(days=1), tz),
    ).order_by("starts_at")
    classes = [
        c for c in candidates
        if c.starts_at.astimezone(tz).weekday() == first_local.weekday()
        and c.starts_at.astimezone(tz).time() == first_local.time()
    ]
    series = BookingSeries.objects.create(
        organization=organization, customer=customer, class_type_id=fitness_class.class_type_id,
        venue_id=fitness_class.venue_id, weekday=first_local.weekday(), local_start_time=first_local.time(),
        first_date=first_local.date(), last_date=until, method=method or "", created_at=at or timezone.now(),
    )
    result = SeriesResult(series=series)
    for cls in classes:
        item: dict[str, Any] = {"class_id": cls.pk, "starts_at": cls.starts_at}
        try:
            outcome = booking_create(organization=organization, fitness_class=cls, customer=customer, method=method,
                                     source=source, at=at, series=series)
        except DomainError as error:
            item.update(result="refused", code=error.code, detail=error.detail)
        else:
            item.update(result=outcome.result, booking_id=outcome.booking.pk if outcome.booking else None,
                        waitlist_entry_id=outcome.waitlist_entry.pk if outcome.waitlist_entry else None)
        result.items.append(item)
    return result
