"""PostgreSQL parameter binding: an out-of-range integer is refused, statements keep answering after
rollbacks and across a migration that changes a column's type.

The settings use server-side binding with prepared statements (config/settings.py). Without the
range-checked integer dumpers of config/postgres.py the first test fails: psycopg's binary dumper
stores 2**31 as -2147483648 and 4294968796 as 1500 (wrapped to 32 bits)."""

import pytest
from django.conf import settings
from django.db import DataError, connection, transaction

from attendance import registry
from attendance.models import Member, MonthlyRollup

pytestmark = [
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="PostgreSQL binding; CI runs this on PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


@pytest.mark.parametrize("value", [2**31, 4294968796, 2**63 - 1])
def test_an_integer_beyond_the_column_is_refused_never_stored_truncated(org, value):
    member = Member.objects.create(organization=org, first_name="Range")
    with pytest.raises(DataError), transaction.atomic():
        MonthlyRollup.objects.create(organization=org, attendee_type=registry.content_type_for(Member),
                                     attendee_id=member.pk, month="2026-06-01", visits=value)
    assert not MonthlyRollup.objects.filter(attendee_id=member.pk).exists()


def test_statements_keep_answering_right_after_rollbacks(org):
    members = [Member.objects.create(organization=org, first_name=f"R{i}") for i in range(3)]
    for _ in range(3):
        for member in members:  # more runs than any prepare threshold
            assert Member.objects.get(pk=member.pk).first_name == member.first_name
        with pytest.raises(RuntimeError), transaction.atomic():
            Member.objects.filter(pk=members[0].pk).update(first_name="rolled back")
            raise RuntimeError
    assert Member.objects.get(pk=members[0].pk).first_name == "R0"


def test_a_column_type_change_does_not_fail_the_next_query_on_an_open_connection(org):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE binding_probe (id serial PRIMARY KEY, amount integer)")
        cursor.execute("INSERT INTO binding_probe (amount) VALUES (1500)")
    try:
        for _ in range(10):  # past any prepare threshold: the statement would be prepared by now
            with connection.cursor() as cursor:
                cursor.execute("SELECT * FROM binding_probe WHERE id = %s", [1])
                assert cursor.fetchone() == (1, 1500)
        with connection.cursor() as cursor:  # what a migration changing the type does
            cursor.execute("ALTER TABLE binding_probe ALTER COLUMN amount TYPE bigint")
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM binding_probe WHERE id = %s", [1])
            assert cursor.fetchone() == (1, 1500)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS binding_probe")
