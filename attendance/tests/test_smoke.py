import pytest


@pytest.mark.django_db
def test_check_in_then_out_through_the_api(owner_client, member):
    created = owner_client.post("/api/v1/check-ins/", {"attendee_id": member.pk, "method": "qr_code"}, format="json")
    assert created.status_code == 201, created.json()
    again = owner_client.post("/api/v1/check-ins/", {"attendee_id": member.pk}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] in {"duplicate_scan", "already_checked_in"}
    out = owner_client.post(f"/api/v1/check-ins/{created.json()['id']}/check-out/", {}, format="json")
    assert out.status_code == 200, out.json()
    assert out.json()["is_open"] is False
