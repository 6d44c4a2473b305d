"""config.rows: one-row reads and writes that must answer exactly what the ORM answers."""

from datetime import timedelta

import pytest
from django.core.exceptions import MultipleObjectsReturned
from django.db.models import Model
from django.utils import timezone

from attendance import services
from attendance.models import CheckIn, Member
from config.rows import get_row, update_columns
from meetings.models import GoogleCredential

pytestmark = pytest.mark.django_db


def values(row: Model) -> dict:
    return {f.attname: getattr(row, f.attname) for f in type(row)._meta.concrete_fields}


def test_a_row_read_equals_the_orm_read_field_by_field(org):
    member = Member.objects.create(organization=org, first_name="Ana", last_name="Row")
    at = timezone.now() - timedelta(hours=3)
    row = services.check_in(
        organization=org, attendee=member, at=at, location="Door 2", notes="late",
        metadata={"lane": 3, "tags": ["a", "b"], "nested": {"x": None}},
    ).check_in
    services.check_out(organization=org, check_in=row, at=at + timedelta(minutes=95))

    read = get_row(CheckIn, id=row.pk)

    assert values(read) == values(CheckIn.objects.get(pk=row.pk))
    assert read.metadata["tags"] == ["a", "b"]  # JSON decoded, not a string
    assert read.checked_in_at.tzinfo is not None and read.duration == timedelta(minutes=95)
    assert read._state.adding is False and read._state.db == "default"


def test_columns_limit_what_is_loaded_and_the_rest_is_deferred(org):
    member = Member.objects.create(organization=org, first_name="Bo", last_name="Partial")

    read = get_row(Member, ("id", "organization_id"), qr_token=member.qr_token)

    assert (read.pk, read.organization_id) == (member.pk, org.pk)
    assert "last_name" in read.get_deferred_fields() and "id" not in read.get_deferred_fields()
    assert read.last_name == "Partial"  # a deferred field still loads on access


def test_no_row_is_none_and_two_rows_are_an_error(org):
    Member.objects.create(organization=org, first_name="A", last_name="Twin")
    Member.objects.create(organization=org, first_name="B", last_name="Twin")

    assert get_row(Member, qr_token="no-such-token") is None
    with pytest.raises(MultipleObjectsReturned):
        get_row(Member, ("id",), organization_id=org.pk, last_name="Twin")
    with pytest.raises(ValueError, match="no column"):
        get_row(Member, ("id", "nickname"), organization_id=org.pk)


def test_update_columns_writes_only_the_named_fields(org):
    member = Member.objects.create(organization=org, first_name="Cy", last_name="Before", email="cy@example.com")
    member.last_name = "After"
    member.email = "changed-in-memory-only@example.com"

    update_columns(member, ["last_name"])

    stored = Member.objects.get(pk=member.pk)
    assert (stored.last_name, stored.email) == ("After", "cy@example.com")


def test_update_columns_stamps_an_auto_now_field_it_names_as_save_would(org):
    credential = GoogleCredential.objects.create(organization=org, authorized_user_info={"token": "t1"})
    before = credential.updated_at
    credential.authorized_user_info = {"token": "t2", "scopes": ["meet"]}

    update_columns(credential, ["authorized_user_info", "updated_at"])

    stored = GoogleCredential.objects.get(pk=credential.pk)
    assert stored.authorized_user_info == {"token": "t2", "scopes": ["meet"]}
    assert stored.updated_at > before and stored.updated_at == credential.updated_at
