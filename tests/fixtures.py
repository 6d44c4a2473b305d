"""The fixed cast for permission tests: an organization with an owner, a colleague (receptionist),
a staff worker, a plain member, and an outsider who owns another organization."""

import pytest
from rest_framework.test import APIClient

from attendance.models import Member
from organizations.models import Membership, Organization, Role, User
from organizations.services import device_key_create


@pytest.fixture
def org(db):
    return Organization.objects.create(name="Acme Gym", slug="acme", time_zone="Europe/Madrid")


@pytest.fixture
def other_org(db):
    return Organization.objects.create(name="Other Club", slug="other", time_zone="America/New_York")


def make_user(username, organization=None, role=None, **extra):
    user = User.objects.create_user(username=username, password="pw-123456", **extra)
    if organization is not None:
        Membership.objects.create(organization=organization, user=user, role=role)
    return user


@pytest.fixture
def owner(org):
    return make_user("owner", org, Role.OWNER)


@pytest.fixture
def colleague(org):
    return make_user("colleague", org, Role.RECEPTIONIST)


@pytest.fixture
def worker(org):
    return make_user("worker", org, Role.STAFF)


@pytest.fixture
def plain_member(org):
    return make_user("plain", org, Role.MEMBER)


@pytest.fixture
def outsider(other_org):
    return make_user("outsider", other_org, Role.OWNER)


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def owner_client(owner):
    return client_for(owner)


@pytest.fixture
def colleague_client(colleague):
    return client_for(colleague)


@pytest.fixture
def outsider_client(outsider):
    return client_for(outsider)


@pytest.fixture
def member(org):
    return Member.objects.create(organization=org, first_name="Ada", last_name="Lovelace", email="ada@example.com")


@pytest.fixture
def other_member(other_org):
    return Member.objects.create(organization=other_org, first_name="Otto", last_name="Other")


@pytest.fixture
def kiosk(org):
    device, raw_key = device_key_create(organization=org, name="Front kiosk", kind="kiosk")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {raw_key}")
    client.device = device
    client.raw_key = raw_key
    return client
