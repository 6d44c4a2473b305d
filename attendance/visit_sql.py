"""PostgreSQL: write a new check-in, its month's rollup and the attendee's counters in one statement.

The busiest write of the platform (every door scan) would otherwise take three round trips: the
insert, the rollup update and the attendee update. The values are computed in Python by
`services._record_visit` under the attendee's lock; this module only turns them into one
data-modifying CTE. Column lists come from the models, so a new field needs no change here.
"""

from datetime import date

from django.db import connection

from attendance.models import CheckIn, MonthlyRollup

_ROLLUP = MonthlyRollup._meta.db_table


def _insert_columns(row: CheckIn) -> tuple[list[str], list]:
    fields = [f for f in CheckIn._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(row, add=True), connection) for f in fields]
    return [connection.ops.quote_name(f.column) for f in fields], values


def insert_visit(
    *, row: CheckIn, attendee, attendee_fields: list[str], month: date, days_present: int, seconds: int
) -> None:
    """Insert `row` (unsaved), add one visit of its kind to the month's rollup (created if new) and
    save `attendee_fields` of the locked `attendee`; `session_check_in_id`, if listed, gets the new
    row's id. Sets row.pk (and the attendee's session_check_in_id)."""
    qn = connection.ops.quote_name
    columns, values = _insert_columns(row)
    model = type(attendee)._meta.concrete_model
    sets, set_values = [], []
    for name in attendee_fields:
        field = model._meta.get_field(name)
        if name == "session_check_in_id":
            sets.append(f"{qn(field.column)} = (SELECT id FROM new_row)")
        else:
            sets.append(f"{qn(field.column)} = %s")
            set_values.append(field.get_db_prep_save(getattr(attendee, field.attname), connection))
    sql = f"""
WITH new_row AS (
    INSERT INTO {qn(CheckIn._meta.db_table)} ({", ".join(columns)})
    VALUES ({", ".join(["%s"] * len(values))})
    RETURNING id
), rollup AS (
    INSERT INTO {_ROLLUP} (organization_id, attendee_type_id, attendee_id, month, visits, days_present, seconds_present, kinds)
    VALUES (%s, %s, %s, %s, 1, %s, %s, jsonb_build_object(%s::text, 1))
    ON CONFLICT (attendee_type_id, attendee_id, month) DO UPDATE SET
        visits = {_ROLLUP}.visits + 1,
        days_present = {_ROLLUP}.days_present + EXCLUDED.days_present,
        seconds_present = {_ROLLUP}.seconds_present + EXCLUDED.seconds_present,
        kinds = jsonb_set({_ROLLUP}.kinds, ARRAY[%s::text],
                          to_jsonb(COALESCE(({_ROLLUP}.kinds ->> %s::text)::bigint, 0) + 1))
), attendee AS (
    UPDATE {qn(model._meta.db_table)} SET {", ".join(sets)} WHERE {qn(model._meta.pk.column)} = %s
)
SELECT id FROM new_row
"""
    rollup_values = [
        row.organization_id, row.attendee_type_id, row.attendee_id, month, days_present, seconds, row.kind,
        row.kind, row.kind,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *rollup_values, *set_values, attendee.pk])
        (row.pk,) = cursor.fetchone()
    row._state.adding = False
    row._state.db = connection.alias
    if "session_check_in_id" in attendee_fields:
        attendee.session_check_in_id = row.pk
