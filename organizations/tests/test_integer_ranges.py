"""Every integer the API accepts in a body is bounded by its column: the extremes answer 400 naming the field,
never a 500 and never a stored, wrapped value. The operations and fields come from the OpenAPI schema."""

from datetime import UTC, date, datetime, timedelta

import pytest
from drf_spectacular.generators import SchemaGenerator

from bookings.models import Booking, FitnessClass
from bookings.tests import factories as f
from staff.models import Staff

pytestmark = pytest.mark.django_db

INT32_MAX = 2**31 - 1
PER_ITEM = {"/api/v1/check-ins/bulk/", "/api/v1/gym/checkin/courtesy/queue"}  # offline batches


def _schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _integer_fields(schema, ref) -> list[tuple[str, dict, str]]:
    """(top-level field, schema of the integer, shape) for each writable integer in a request body."""
    component = schema["components"]["schemas"][ref.split("/")[-1]]
    found = []
    for name, prop in component.get("properties", {}).items():
        if prop.get("readOnly"):
            continue
        if prop.get("type") == "integer":
            found.append((name, prop, "value"))
        elif prop.get("type") == "array" and prop["items"].get("type") == "integer":
            found.append((name, prop["items"], "list"))
        elif prop.get("type") == "array" and "$ref" in prop["items"]:
            nested = _integer_fields(schema, prop["items"]["$ref"])
            found += [(name, {**sub_prop, "nested": sub}, "objects") for sub, sub_prop, shape in nested if shape == "value"]
    return found


def _body(field, prop, shape, value):
    if shape == "value":
        return {field: value}
    if shape == "list":
        return {field: [value]}
    return {field: [{prop["nested"]: value}]}


def _extremes(prop) -> list[int]:
    high = prop["maximum"] + 1 if "maximum" in prop else 2**63
    low = prop["minimum"] - 1 if "minimum" in prop else -(2**63) - 1
    return [high, low, 2**64]


@pytest.fixture
def everything(org, owner):
    """One of every object the integer-taking operations address by id."""
    from gamification import services as gym

    gym.gym_configure(organization=org)
    f.studio(org)
    yoga, room = f.class_type(org), f.venue(org)
    f.fitness_class(org, yoga, room, datetime.now(UTC) + timedelta(days=2))
    person = f.customer(org, "Cus")
    f.package(org, person, expires_at=datetime.now(UTC) + timedelta(days=90))
    f.membership(org, person, f.plan(org), date.today())
    return {"hotel_slug": org.slug, "staff_id": Staff.objects.create(organization=org, user=owner, first_name="O").pk}


def _path(client, path, params):
    for name, value in params.items():
        path = path.replace("{" + name + "}", str(value))
    if "{id}" in path:
        listed = client.get(path.split("{id}")[0] + "?page_size=1").json()
        rows = listed["results"] if isinstance(listed, dict) else listed
        path = path.replace("{id}", str(rows[0]["id"]))
    assert "{" not in path, path
    return path


def test_the_extremes_of_every_integer_field_answer_400_naming_it(owner_client, everything):
    schema = _schema()
    tried = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            ref = content.get("schema", {}).get("$ref")
            if method not in ("post", "put", "patch") or ref is None:
                continue
            for field, prop, shape in _integer_fields(schema, ref):
                url = _path(owner_client, path, everything)
                for value in _extremes(prop):
                    response = getattr(owner_client, method)(url, _body(field, prop, shape, value), format="json")
                    where = f"{method.upper()} {path} {field}={value}"
                    if path in PER_ITEM:  # an offline batch answers each item on its own
                        item = response.json()["results"][0]
                        assert item["status"] == "invalid" and prop["nested"] in item["errors"], (where, item)
                        tried += 1
                        continue
                    assert response.status_code == 400, (where, response.status_code, response.content[:300])
                    assert field in response.json().get("errors", {}), (where, response.json())
                    tried += 1
    assert tried >= 100  # the schema names dozens of integer fields; none may be skipped silently


def test_a_value_past_a_32_bit_column_is_refused_not_wrapped(owner_client, org, everything):
    cls = FitnessClass.objects.get()
    person = f.customer(org, "Payer")
    booked = owner_client.post("/api/v1/bookings/bookings/", {"class_id": cls.pk, "customer_id": person.pk,
                                                              "method": "drop_in", "amount_paid_pennies": 4294968796},
                               format="json")
    assert booked.status_code == 400 and "amount_paid_pennies" in booked.json()["errors"]
    assert not Booking.objects.filter(customer=person).exists()
    capacity = owner_client.post(f"/api/v1/bookings/classes/{cls.pk}/capacity/", {"capacity_override": 4294967299},
                                 format="json")
    assert capacity.status_code == 400 and "capacity_override" in capacity.json()["errors"]
    # The largest value the column holds is stored exactly.
    exact = owner_client.post(f"/api/v1/bookings/classes/{cls.pk}/capacity/", {"capacity_override": INT32_MAX},
                              format="json")
    assert exact.status_code == 200 and exact.json()["capacity_override"] == INT32_MAX
    cls.refresh_from_db()
    assert cls.capacity_override == INT32_MAX
    paid = owner_client.post("/api/v1/bookings/bookings/", {"class_id": cls.pk, "customer_id": person.pk,
                                                            "method": "drop_in", "amount_paid_pennies": INT32_MAX},
                             format="json")
    assert paid.status_code in (201, 202), paid.json()
    assert Booking.objects.get(customer=person).amount_paid_pennies == INT32_MAX
