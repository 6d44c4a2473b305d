"""Demo data: "Flow Studio" (Europe/London) with venues, instructors, class types, plans, packages
and six weeks of classes (three past, three to come) with bookings in every status."""

import random
from datetime import time, timedelta

from django.db import transaction
from django.utils import timezone

from attendance.models import Member
from bookings import services
from bookings.models import (
    Booking,
    BookingStatus,
    ClassPackage,
    ClassType,
    CustomerMembership,
    FitnessClass,
    Instructor,
    MembershipPlan,
    Studio,
    Venue,
)
from config.errors import DomainError
from organizations.dates import local_datetime, local_today
from organizations.demo import demo_cast, demo_organization

VENUES = [("Main Studio", "12 Canal Street, Manchester", 16), ("Reformer Room", "12 Canal Street, first floor", 8),
          ("Spin Room", "12 Canal Street, basement", 12)]
INSTRUCTORS = [("Amara Okafor", ["yoga", "pilates"]), ("Ben Hughes", ["spin", "hiit"]),
               ("Chloe Martin", ["pilates"]), ("Dev Patel", ["yoga", "hiit"])]
CLASS_TYPES = [("Vinyasa Yoga", 60, 1400), ("Reformer Pilates", 50, 2200), ("Spin", 45, 1200), ("HIIT", 30, 1000)]
PLANS = [("Unlimited", 12000, None, "month"), ("8 a month", 8000, 8, "month"), ("2 a week", 5500, 2, "week")]
# weekday (0 = Monday) -> [(local time, class type, venue, instructors)]
WEEKDAY_SCHEDULE = [
    (time(7, 0), "Spin", "Spin Room", ["Ben Hughes"]),
    (time(12, 30), "HIIT", "Main Studio", ["Dev Patel"]),
    (time(18, 0), "Vinyasa Yoga", "Main Studio", ["Amara Okafor"]),
    (time(19, 15), "Reformer Pilates", "Reformer Room", ["Chloe Martin"]),
]
WEEKEND_SCHEDULE = [
    (time(9, 0), "Vinyasa Yoga", "Main Studio", ["Amara Okafor", "Dev Patel"]),
    (time(10, 30), "Spin", "Spin Room", ["Ben Hughes"]),
]
FIRST = ["Alice", "Bilal", "Cara", "Dan", "Eve", "Femi", "Gina", "Harry", "Isla", "Jack", "Kemi", "Liam", "Maya",
         "Noah", "Orla", "Priya", "Rhys", "Sana", "Tom", "Uma"]
LAST = ["Smith", "Jones", "Taylor", "Brown", "Khan", "Evans", "Wilson", "Roberts"]


def seed(progress) -> str:
    org = demo_organization("flow-studio", "Flow Studio", "Europe/London")
    demo_cast(org)
    Studio.objects.get_or_create(organization=org, defaults={"late_cancel_hours": 12, "late_grace_minutes": 5})
    venues = {name: Venue.objects.get_or_create(organization=org, name=name, defaults={"address": address, "capacity": cap})[0]
              for name, address, cap in VENUES}
    instructors = {name: Instructor.objects.get_or_create(organization=org, name=name, defaults={
        "email": f"{name.split()[0].lower()}@flow.example.com", "specialisations": specs})[0] for name, specs in INSTRUCTORS}
    types = {name: ClassType.objects.get_or_create(organization=org, name=name, defaults={
        "duration_minutes": minutes, "drop_in_price_pennies": price})[0] for name, minutes, price in CLASS_TYPES}
    plans = [MembershipPlan.objects.get_or_create(organization=org, name=name, defaults={
        "price_pennies": price, "class_limit": limit, "limit_period": period})[0] for name, price, limit, period in PLANS]
    rng = random.Random(7)
    customers = []
    for i in range(48):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 3) % len(LAST)]
        person, _ = Member.objects.get_or_create(organization=org, email=f"flow{i}@example.com",
                                                 defaults={"first_name": first, "last_name": last})
        customers.append(person)
    if FitnessClass.objects.filter(organization=org).exists():
        return f"organization {org.slug}: already seeded"

    tz = org.tz
    today = local_today(tz)
    now = timezone.now()
    with transaction.atomic():
        for i, person in enumerate(customers):
            if i % 4 != 3:  # three in four have a plan; the rest drop in or use a package
                CustomerMembership.objects.create(organization=org, customer=person, plan=plans[i % 3],
                                                  started_on=today - timedelta(days=120))
            elif i % 8 == 3:
                ClassPackage.objects.create(organization=org, customer=person, name="10-class pack", classes_total=10,
                                            price_pennies=11000, purchased_at=now - timedelta(days=30),
                                            expires_at=now + timedelta(days=60))
        classes = []
        for offset in range(-21, 21):
            day = today + timedelta(days=offset)
            for at, type_name, venue_name, teachers in (WEEKDAY_SCHEDULE if day.weekday() < 5 else WEEKEND_SCHEDULE):
                starts = local_datetime(day, at, tz)
                ctype = types[type_name]
                cls = FitnessClass.objects.create(organization=org, class_type=ctype, venue=venues[venue_name],
                                                  starts_at=starts, ends_at=starts + timedelta(minutes=ctype.duration_minutes))
                cls.instructors.set([instructors[t] for t in teachers])
                classes.append(cls)
        progress(f"{len(classes)} classes over six weeks")
        past = [c for c in classes if c.starts_at < now]
        rows = []
        for cls in past:
            popularity = {"Vinyasa Yoga": 0.85, "Reformer Pilates": 0.95, "Spin": 0.7, "HIIT": 0.5}[cls.class_type.name]
            taken = rng.sample(customers, k=min(len(customers), int(cls.capacity * popularity * rng.uniform(0.7, 1.15))))
            for person in taken:
                rows.append(_past_booking(org, cls, person, rng, ended=cls.ends_at <= now))
        Booking.objects.bulk_create(rows, batch_size=1000)
        progress(f"{len(rows)} past bookings")
    future = [c for c in classes if c.starts_at >= now]
    with transaction.atomic():  # one commit for the whole schedule (each booking is its own savepoint)
        booked, waitlisted, refused = _book_future(org, future, customers, rng, now)
        _cancel_some(org, future, now)
    progress(f"{booked} upcoming bookings, {waitlisted} on waitlists, {refused} refused by plan rules")
    return (f"organization {org.slug}: {len(classes)} classes, {len(rows)} past and {booked} upcoming bookings "
            f"(manager page /studio/{org.slug}/reports/)")


def _book_future(org, future, customers, rng, now) -> tuple[int, int, int]:
    booked = waitlisted = refused = 0
    popular = {c.pk for c in future if c.class_type.name == "Reformer Pilates"}
    for cls in future:
        days_ahead = (cls.starts_at - now).days
        want = int(cls.capacity * rng.uniform(0.3, 1.3) * (1 if days_ahead < 7 else 0.5))
        if cls.pk in popular and days_ahead < 7:
            want = cls.capacity + 4  # the reformer is always oversubscribed: a waitlist
        for person in rng.sample(customers, k=min(len(customers), want)):
            try:
                outcome = services.booking_create(organization=org, fitness_class=cls, customer=person,
                                                  source=rng.choice(["web", "web", "mobile_app", "staff"]))
            except DomainError:
                refused += 1
                continue
            booked += outcome.booking is not None
            waitlisted += outcome.waitlist_entry is not None
    return booked, waitlisted, refused


def _cancel_some(org, future, now) -> None:
    # A few cancellations (some late) to show promotions from the waitlist, and one cancelled class.
    for booking in list(Booking.objects.filter(organization=org, status=BookingStatus.REGISTERED,
                                               fitness_class__starts_at__gt=now).order_by("id")[:: 17]):
        try:
            services.booking_cancel(organization=org, booking=booking)
        except DomainError:
            pass
    last_future = [c for c in future if c.class_type.name == "HIIT"][-1:]
    for cls in last_future:
        services.fitness_class_cancel(organization=org, fitness_class=cls)


def _past_booking(org, cls, person, rng, *, ended: bool) -> Booking:
    roll = rng.random()
    status = (BookingStatus.ATTENDED if roll < 0.74 else BookingStatus.NO_SHOW if roll < 0.84
              else BookingStatus.LATE_CANCELLED if roll < 0.9 else BookingStatus.CANCELLED)
    if not ended and status == BookingStatus.NO_SHOW:
        status = BookingStatus.REGISTERED  # the class is still running
    method = rng.choice(["membership", "membership", "membership", "drop_in", "package", "free"])
    amount = {"drop_in": cls.class_type.drop_in_price_pennies, "package": 1100}.get(method, 0)
    minutes_late = 0
    if status == BookingStatus.ATTENDED and rng.random() < 0.22:
        minutes_late = rng.choice([1, 2, 3, 4, 6, 7, 9, 12, 15, 20])
    booked_at = cls.starts_at - timedelta(hours=rng.randint(49, 240))
    return Booking(
        organization=org, fitness_class=cls, customer=person, status=status, method=method,
        source=rng.choice(["web", "web", "mobile_app", "kiosk", "staff", "api"]),
        booked_at=booked_at,
        cancelled_at=cls.starts_at - timedelta(hours=rng.randint(1, 11) if status == BookingStatus.LATE_CANCELLED
                                               else rng.randint(13, 48)) if status in (BookingStatus.CANCELLED, BookingStatus.LATE_CANCELLED) else None,
        checked_in_at=cls.starts_at + timedelta(minutes=minutes_late) if status == BookingStatus.ATTENDED else None,
        minutes_late=minutes_late, was_late=minutes_late > 5, amount_paid_pennies=amount,
        refunded_pennies=amount if status == BookingStatus.CANCELLED else 0,
    )
