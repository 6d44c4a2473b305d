"""Small builders for bookings tests (explicit values, no randomness)."""

from datetime import datetime, timedelta

from attendance.models import Member
from bookings.models import (
    Booking,
    ClassPackage,
    ClassType,
    CustomerMembership,
    FitnessClass,
    Instructor,
    MembershipPlan,
    Studio,
    Venue,
)
from organizations.dates import local_datetime


def studio(org, **options):
    return Studio.objects.create(organization=org, **{"late_cancel_hours": 12, "late_grace_minutes": 5, **options})


def venue(org, name="Studio A", capacity=2):
    return Venue.objects.create(organization=org, name=name, capacity=capacity, address="1 High Street")


def class_type(org, name="Yoga", duration=60, price=1200):
    return ClassType.objects.create(organization=org, name=name, duration_minutes=duration, drop_in_price_pennies=price)


def instructor(org, name="Ines"):
    return Instructor.objects.create(organization=org, name=name, email=f"{name.lower()}@example.com")


def local(org, day, hour, minute=0) -> datetime:
    from datetime import time

    return local_datetime(day, time(hour, minute), org.tz)


def fitness_class(org, ctype, place, starts_at, *, minutes=None, instructors=(), capacity=None, cancelled_at=None):
    cls = FitnessClass.objects.create(
        organization=org, class_type=ctype, venue=place, starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes or ctype.duration_minutes), capacity_override=capacity,
        cancelled_at=cancelled_at,
    )
    if instructors:
        cls.instructors.set(instructors)
    return cls


def customer(org, first, last="Test", **extra):
    return Member.objects.create(organization=org, first_name=first, last_name=last, **extra)


def plan(org, name="Unlimited", limit=None, period="month", price=5000):
    return MembershipPlan.objects.create(organization=org, name=name, class_limit=limit, limit_period=period,
                                         price_pennies=price)


def membership(org, person, plan_, started_on, ended_on=None, active=True):
    return CustomerMembership.objects.create(organization=org, customer=person, plan=plan_, started_on=started_on,
                                             ended_on=ended_on, active=active)


def package(org, person, total=2, expires_at=None, price=2000, used=0):
    return ClassPackage.objects.create(organization=org, customer=person, classes_total=total, classes_used=used,
                                       price_pennies=price, expires_at=expires_at)


def booking(cls, person, status="registered", method="drop_in", **extra):
    """Write a booking row directly (report fixtures), bypassing the rules."""
    return Booking.objects.create(organization=cls.organization, fitness_class=cls, customer=person, status=status,
                                  method=method, **extra)
