"""Access: permission before any write, workers-only waitlists, screens-only organization stream."""

from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from attendance.models import Member
from bookings.tests import factories as f
from config.asgi import application
from organizations.models import AuditLog, DeviceKind, Role
from organizations.services import device_key_create
from tests.fixtures import client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.STAFF, Role.MEMBER])
def test_a_refused_courtesy_pass_writes_nothing(org, role):
    from gamification import services

    services.gym_configure(organization=org)
    client = client_for(make_user(f"u-{role}", org, role))
    members, audits = Member.objects.count(), AuditLog.objects.count()
    response = client.post("/api/v1/gym/checkin/courtesy", {"guest_name": "Pat Guest", "reason": "Trial"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert Member.objects.count() == members and AuditLog.objects.count() == audits


def test_only_workers_read_a_class_waitlist(org, owner_client, colleague_client, plain_member):
    f.studio(org)
    cls = f.fitness_class(org, f.class_type(org, "Yoga"), f.venue(org, capacity=1),
                          datetime.now(UTC) + timedelta(days=2), capacity=1)
    f.booking(cls, f.customer(org, "Holder"))
    waiting = f.customer(org, "Waiting")
    from bookings import services

    services.booking_create(organization=org, fitness_class=cls, customer=waiting, method="drop_in")
    url = f"/api/v1/bookings/classes/{cls.pk}/waitlist/"
    member = client_for(plain_member).get(url)
    assert member.status_code == 403 and member.json()["code"] == "permission_denied"
    for client in (owner_client, colleague_client):
        listed = client.get(url)
        assert listed.status_code == 200 and [e["customer_id"] for e in listed.json()] == [waiting.pk]
    # Customers still read the schedule itself.
    assert client_for(plain_member).get(f"/api/v1/bookings/classes/{cls.pk}/").status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", [DeviceKind.DISPLAY, DeviceKind.KIOSK, DeviceKind.TERMINAL, DeviceKind.INTEGRATION])
def test_only_display_keys_subscribe_to_the_organization_stream(org, kind):
    _, raw = device_key_create(organization=org, name=f"{kind} 1", kind=kind)

    async def scenario():
        communicator = WebsocketCommunicator(application, f"/ws/org/{org.slug}/?key={raw}",
                                             headers=[(b"origin", b"http://localhost")])
        connected, code = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return connected, code

    connected, code = async_to_sync(scenario)()
    assert connected is (kind == DeviceKind.DISPLAY)
    if kind != DeviceKind.DISPLAY:
        assert code == 4403
