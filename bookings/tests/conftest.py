from datetime import date

import pytest

from bookings.tests import factories as f


@pytest.fixture
def studio(org):
    return f.studio(org)


@pytest.fixture
def venue(org):
    return f.venue(org, capacity=2)


@pytest.fixture
def yoga(org):
    return f.class_type(org, "Yoga", duration=60, price=1200)


@pytest.fixture
def teacher(org):
    return f.instructor(org, "Ines")


@pytest.fixture
def tomorrow_class(org, studio, venue, yoga, teacher):
    """A Yoga class on 2026-03-10 at 18:00 Madrid time (tests freeze time on 2026-03-09 10:00)."""
    return f.fitness_class(org, yoga, venue, f.local(org, date(2026, 3, 10), 18), instructors=[teacher])


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The shared cast creates users with passwords; a fast hasher keeps this app's suite quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
