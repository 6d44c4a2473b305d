from decimal import Decimal

import pytest

from staff.models import Staff
from staff.tests.helpers import listen  # noqa: F401 - a fixture


@pytest.fixture
def hotel(org):
    """The shared cast's organization, seen as a hotel (slug `acme`, Europe/Madrid)."""
    return org


@pytest.fixture
def worker_staff(hotel, worker):
    return Staff.objects.create(organization=hotel, user=worker, first_name="Wanda", last_name="Worker",
                                department="Housekeeping", hourly_rate=Decimal("12.50"))


@pytest.fixture
def colleague_staff(hotel, colleague):
    return Staff.objects.create(organization=hotel, user=colleague, first_name="Carl", last_name="Colleague",
                                department="Front desk", hourly_rate=Decimal("11.00"))


@pytest.fixture
def worker_client(worker):
    from tests.fixtures import client_for

    return client_for(worker)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
