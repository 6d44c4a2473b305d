"""Fixtures of the meetings tests: an academy in New York, its people, and a fake Meet API server."""

from datetime import UTC, datetime

import pytest

from meetings import conf, services
from meetings.models import Family, RateUnit, ScheduledClass, Student, Teacher
from meetings.tests.fake_meet import FakeMeet
from organizations.models import Organization


@pytest.fixture(autouse=True)
def _no_in_request_retries(monkeypatch):
    """googleapiclient's own retries sleep up to seconds; tests opt in with an explicit client."""
    monkeypatch.setattr(conf, "HTTP_RETRIES", 0)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The cast's logins are created per test; the production hasher costs ~0.3 s each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def fake_meet(settings):
    fake = FakeMeet()
    settings.GOOGLE_MEET_API_ENDPOINT = fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def academy(db):
    return Organization.objects.create(name="Bright Test Academy", slug="bright-test", time_zone="America/New_York")


@pytest.fixture
def meet_credentials(academy):
    return services.google_credential_store(
        organization=academy, info={"token": "test-token"}, scopes=[conf.MEET_READONLY_SCOPE]
    )


@pytest.fixture
def family(academy):
    return Family.objects.create(organization=academy, name="Garcia family", rate_cents=3000, rate_unit=RateUnit.HOUR)


@pytest.fixture
def teacher(academy):
    return Teacher.objects.create(
        organization=academy, first_name="Tara", last_name="Teach", email="tara@example.com",
        google_user_id="users/100", pay_rate_cents=50, pay_rate_unit=RateUnit.MINUTE,
    )


@pytest.fixture
def student(academy, family):
    return Student.objects.create(organization=academy, family=family, first_name="Sofia", last_name="Garcia",
                                  email="sofia@example.com", google_user_id="users/201")


@pytest.fixture
def student2(academy, family):
    return Student.objects.create(organization=academy, family=family, first_name="Leo", last_name="Garcia",
                                  email="leo@example.com", google_user_id="users/202")


def at(hour, minute=0, second=0, day=10, month=3, year=2026):
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def math_class(academy, teacher, student, student2):
    scheduled = ScheduledClass.objects.create(
        organization=academy, title="Algebra", teacher=teacher, starts_at=at(15), duration_minutes=60,
        meet_space_name="spaces/algebra", meet_meeting_code="abc-defg-hij", meet_link="https://meet.google.com/abc-defg-hij",
    )
    scheduled.students.set([student, student2])
    return scheduled
