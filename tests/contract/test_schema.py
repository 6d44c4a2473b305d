"""The served OpenAPI schema is the contract: it validates, types every body, declares every
operation's errors with one Error body, its organization selector, its security and a domain tag."""

import pytest
from openapi_spec_validator import validate

from tests.contract.figures import figures

pytestmark = pytest.mark.django_db

DOMAINS = {"engine", "staff", "gym", "bookings", "meetings", "organizations"}
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_the_schema_validates(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.1")


def test_every_operation_has_a_typed_body_and_declares_its_errors(schema):
    result = figures(schema)
    assert result["operations"] >= 130
    assert result["untyped"] == []
    assert result["typed"] == result["declaring_errors"] == result["operations"]


def test_every_error_answer_is_the_one_error_body_with_its_codes(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["code", "detail"]
    for path, method, operation in operations(schema):
        statuses = {s for s in operation["responses"] if s.startswith(("4", "5"))}
        assert {"400", "404"} <= statuses, (method, path)
        if operation.get("security") and {} not in operation["security"]:
            assert {"401", "403"} <= statuses, (method, path)
        for status in statuses:
            response = operation["responses"][status]
            assert "Codes: `" in response["description"] or status == "409", (method, path, status)


def test_domain_codes_are_listed_where_they_are_answered(schema):
    webhook = schema["paths"]["/api/v1/gym/webhooks/streak-reset"]["post"]["responses"]
    assert "`stale_timestamp`" in webhook["401"]["description"]
    assert "`webhook_disabled`" in webhook["503"]["description"]
    sync = schema["paths"]["/api/v1/monitoring/sync-participants/{class_id}"]["post"]["responses"]
    assert "`meet_unavailable`" in sync["503"]["description"]
    devices = schema["paths"]["/api/v1/devices/"]["post"]["responses"]
    assert "`duplicate_name`" in devices["409"]["description"]


def test_operations_are_grouped_by_domain(schema):
    tags = {tag for _, _, operation in operations(schema) for tag in operation["tags"]}
    assert tags == DOMAINS


def test_the_organization_selector_is_declared_where_it_applies(schema):
    for path, method, operation in operations(schema):
        names = {(p["in"], p["name"]) for p in operation.get("parameters", [])}
        chooses = ("header", "X-Organization") in names and ("query", "org") in names
        in_path = "{hotel_slug}" in path
        unauthenticated = path in ("/api/v1/auth/token/", "/api/v1/gym/webhooks/streak-reset")
        assert chooses == (not in_path and not unauthenticated), (method, path)


def test_bodies_are_json_and_devices_are_a_security_scheme(schema):
    for path, method, operation in operations(schema):
        if "requestBody" in operation:
            assert list(operation["requestBody"]["content"]) == ["application/json"], (method, path)
    assert schema["components"]["securitySchemes"]["DeviceKey"]["in"] == "header"
    checkin = schema["paths"]["/api/v1/gym/checkin"]["post"]
    assert {"DeviceKey": []} in checkin["security"] and {"tokenAuth": []} in checkin["security"]


def test_documented_filters_are_declared(schema):
    def names(path, method="get"):
        return {p["name"] for p in schema["paths"][path][method].get("parameters", [])}

    assert {"start", "end"} <= names("/api/v1/bookings/classes/")
    assert {"class_id", "customer_id", "status"} <= names("/api/v1/bookings/bookings/")
    assert {"class_id", "status"} <= names("/api/v1/bookings/waitlist/")
    assert {"granularity"} <= names("/api/v1/bookings/reports/timeline/")
    assert {"page", "page_size"} <= names("/api/v1/check-ins/")
