"""Gym fixtures on top of the shared cast: `org` configured as a gym, members with subscriptions."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gamification import services
from gamification.models import AccessType, SubscriptionStatus

MADRID = ZoneInfo("Europe/Madrid")


def madrid(*args) -> datetime:
    return datetime(*args, tzinfo=MADRID)


@pytest.fixture
def gym(org):
    return services.gym_configure(organization=org)


@pytest.fixture
def make_member(gym, org):
    counter = iter(range(1, 10_000))

    def make(first_name=None, *, access_type=AccessType.MEMBER, status=SubscriptionStatus.ACTIVE,
             expires_at=madrid(2030, 1, 1), **extra):
        n = next(counter)
        return services.gym_member_create(
            organization=org, first_name=first_name or f"Member{n}", last_name=extra.pop("last_name", "Test"),
            access_type=access_type, subscription_status=status, expires_at=expires_at, **extra,
        )

    return make


@pytest.fixture
def gym_member(make_member):
    return make_member("Gina", last_name="Gymrat", email="gina@example.com", phone="+34 600 111 222")


@pytest.fixture
def staff_member(make_member):
    return make_member("Sven", last_name="Staff", access_type=AccessType.STAFF, status=SubscriptionStatus.INACTIVE, expires_at=None)


def later(moment: datetime, **kwargs) -> datetime:
    return moment + timedelta(**kwargs)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """The shared cast creates users with passwords; a fast hasher keeps this app's suite quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
