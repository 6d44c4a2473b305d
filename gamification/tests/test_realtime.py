"""Open front desks hear about door entries and refusals over the organization WebSocket."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from attendance.exceptions import Refused
from config.asgi import application
from gamification import services
from gamification.models import AccessMethod
from realtime.tests.helpers import receive_event, running_relay

pytestmark = pytest.mark.django_db(transaction=True)


def session_headers(user):
    client = Client()
    client.force_login(user)
    return [(b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()), (b"origin", b"http://localhost")]


def scan(org, member):
    try:
        services.gym_check_in(organization=org, member=member, access_method=AccessMethod.QR)
        return "visit"
    except Refused as refused:
        return refused.code


def test_desk_socket_gets_visit_occupancy_and_refusal(org, gym, colleague, make_member):
    member = make_member(status="inactive")
    ok_member = make_member()
    headers = session_headers(colleague)

    async def scenario():
        communicator = WebsocketCommunicator(application, f"/ws/org/{org.slug}/", headers=headers)
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        async with running_relay(targets=["layer"]):
            refused = await database_sync_to_async(scan)(org, member)
            refusal_event = await receive_event(communicator)
            allowed = await database_sync_to_async(scan)(org, ok_member)
            events = [await receive_event(communicator) for _ in range(2)]
        await communicator.disconnect()
        return refused, refusal_event, allowed, events

    refused, refusal_event, allowed, events = async_to_sync(scenario)()
    assert refused == "subscription_inactive"
    assert refusal_event["event"] == "gym.refused"
    assert refusal_event["data"]["code"] == "subscription_inactive"
    assert refusal_event["data"]["attendee_id"] == member.pk
    assert allowed == "visit"
    assert [e["event"] for e in events] == ["check_in.recorded", "occupancy.changed"]
    assert events[0]["data"]["attendee_id"] == ok_member.pk
    assert events[1]["data"]["total"] == 1
