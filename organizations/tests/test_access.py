"""Authentication, organization selection, roles, device keys and the API docs."""

import pytest
from rest_framework.test import APIClient

from organizations.models import AuditLog, DeviceKey, Membership, Role
from tests.fixtures import client_for, make_user

pytestmark = pytest.mark.django_db


def test_token_for_rest_clients(owner):
    client = APIClient()
    bad = client.post("/api/v1/auth/token/", {"username": "owner", "password": "nope"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_credentials"
    token = client.post("/api/v1/auth/token/", {"username": "owner", "password": "pw-123456"}, format="json").json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/me/").json()
    assert me["organization"]["slug"] == "acme"
    assert me["role"] == "owner"


def test_user_of_two_organizations_chooses_with_a_header_and_cannot_pick_a_foreign_one(org, other_org):
    user = make_user("both", org, Role.RECEPTIONIST)
    Membership.objects.create(organization=other_org, user=user, role=Role.OWNER)
    client = client_for(user)
    assert client.get("/api/v1/me/").json()["organization"]["slug"] == "acme"
    assert client.get("/api/v1/me/", headers={"X-Organization": "other"}).json()["role"] == "owner"
    assert client.get("/api/v1/me/?org=other").json()["organization"]["slug"] == "other"
    third = make_user("third-owner")
    assert client_for(third).get("/api/v1/me/").status_code == 404
    assert client.get("/api/v1/me/", headers={"X-Organization": "nope"}).status_code == 404


def test_superuser_without_membership_uses_the_default_organization(settings):
    admin = make_user("root", is_superuser=True, is_staff=True)
    me = client_for(admin).get("/api/v1/me/").json()
    assert me["organization"]["slug"] == settings.DEFAULT_ORGANIZATION_SLUG


def test_device_keys_are_shown_once_revocable_and_audited(owner_client, colleague_client, outsider_client, member):
    created = owner_client.post("/api/v1/devices/", {"name": "Door 1", "kind": "terminal"}, format="json")
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("dk_")
    assert "key" not in owner_client.get(f"/api/v1/devices/{created.json()['id']}/").json()
    assert DeviceKey.objects.get().key_hash != key  # only a hash is stored
    duplicate = owner_client.post("/api/v1/devices/", {"name": "Door 1"}, format="json")
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "duplicate_name"
    assert colleague_client.post("/api/v1/devices/", {"name": "Door 2"}, format="json").status_code == 403
    assert outsider_client.post(f"/api/v1/devices/{created.json()['id']}/revoke/").status_code == 404

    device = APIClient()
    device.credentials(HTTP_AUTHORIZATION=f"Device {key}")
    assert device.get("/api/v1/me/").json()["device"]["name"] == "Door 1"
    revoked = owner_client.post(f"/api/v1/devices/{created.json()['id']}/revoke/")
    assert revoked.json()["revoked_at"] is not None
    assert device.get("/api/v1/me/").status_code == 401
    assert list(AuditLog.objects.values_list("action", flat=True).order_by("id")) == ["device_key.created", "device_key.revoked"]


def test_a_display_key_may_not_check_people_in(org, member):
    from organizations.services import device_key_create

    _, key = device_key_create(organization=org, name="TV", kind="display")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {key}")
    response = client.post("/api/v1/check-ins/", {"attendee_id": member.pk}, format="json")
    assert response.status_code == 403
    assert client.get("/api/v1/occupancy/").status_code == 200


def test_openapi_schema_and_local_docs(owner_client, client, owner):
    schema = owner_client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/check-ins/" in schema.content
    client.force_login(owner)
    docs = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs
    assert "cdn" not in docs.lower()


def test_health_and_ping(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/api/ping").json() == {"pong": True}


def test_a_cached_device_sees_its_organization_change_and_its_revocation_in_admin(org, member, owner):
    """Device keys are cached between requests; changing the organization or revoking the key in the
    admin takes effect on the very next request."""
    from django.test import Client

    from organizations.services import device_key_create

    device_row, key = device_key_create(organization=org, name="Door", kind="terminal")
    door = APIClient()
    door.credentials(HTTP_AUTHORIZATION=f"Device {key}")
    assert door.post("/api/v1/check-ins/", {"attendee_id": member.pk}, format="json").status_code == 201
    again = door.post("/api/v1/check-ins/", {"attendee_id": member.pk}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "duplicate_scan"

    org.settings = {**org.settings, "duplicate_scan_seconds": 0, "on_open_session": "close_and_reopen"}
    org.save(update_fields=["settings"])
    assert door.post("/api/v1/check-ins/", {"attendee_id": member.pk}, format="json").status_code == 201

    owner.is_staff = owner.is_superuser = True
    owner.save()
    admin = Client()
    admin.force_login(owner)
    response = admin.post(
        "/admin/organizations/devicekey/", {"action": "revoke", "_selected_action": [device_row.pk]}
    )
    assert response.status_code == 302
    refused = door.post("/api/v1/check-ins/", {"attendee_id": member.pk}, format="json")
    assert refused.status_code == 401
