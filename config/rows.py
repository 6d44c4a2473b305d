"""One-row reads and writes for the door path, without the ORM's per-call query compilation.

The ORM compiles a QuerySet into SQL on every call. For a one-row lookup that is most of the
cost: a member found by QR token took 0.45 ms of CPU through `filter(...).values_list(...).first()`
and 0.08 ms as the same SQL, a gym profile 0.36 ms through `get`, and `save(update_fields=...)`
0.15 ms more than its UPDATE (measured on PostgreSQL). Every door scan does all three.

These helpers build each statement once per (model, columns, database) from the model's metadata
and reuse it; rows come back as model instances through `Model.from_db`, with the ORM's own column
converters, and values go in through each field's `get_db_prep_save`. Use them where a measurement
shows the cost; everywhere else the ORM is the rule.

`update_columns` sends no pre_save/post_save signals, like `QuerySet.update`.
"""

from collections.abc import Sequence

from django.core.exceptions import MultipleObjectsReturned
from django.db import connection
from django.db.models import Model

_plans: dict[tuple, tuple] = {}


def column_converters(model: type[Model], fields) -> list[tuple[int, list, object]]:
    """(position, converter functions, column expression) for each of `fields` (in that order) whose
    value the ORM converts on the way out of this database (JSON, and datetimes on SQLite)."""
    converters = []
    for position, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        functions = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if functions:
            converters.append((position, functions, column))
    return converters


def convert_row(values: list, converters) -> list:
    """Apply `column_converters` to one fetched row, in place; returns it."""
    for position, functions, expression in converters:
        for function in functions:
            values[position] = function(values[position], expression, connection)
    return values


def get_row(model: type[Model], columns: Sequence[str] | None = None, **equals) -> Model | None:
    """The row of `model` whose columns equal `equals` (attribute names, e.g. `member_id`), which
    must name a unique key, or None. `columns` (attribute names) limits what is loaded; the others
    are deferred, as with `QuerySet.only`. Two matching rows raise MultipleObjectsReturned."""
    names = tuple(equals)
    key = (model, tuple(columns) if columns is not None else None, names, connection.alias, connection.vendor)
    plan = _plans.get(key)
    if plan is None:
        plan = _plans[key] = _select_plan(model, columns, names)
    sql, attnames, converters, filters = plan
    params = [field.get_db_prep_value(equals[field.attname], connection) for field in filters]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchmany(2)
    if not rows:
        return None
    if len(rows) > 1:
        raise MultipleObjectsReturned(f"{model.__name__}: more than one row for {equals}")
    return model.from_db(connection.alias, attnames, convert_row(list(rows[0]), converters))


def _select_plan(model: type[Model], columns, names) -> tuple:
    qn = connection.ops.quote_name
    meta = model._meta
    wanted = set(columns) if columns is not None else None
    # Model.from_db takes the loaded values in the model's field order.
    fields = [f for f in meta.concrete_fields if wanted is None or f.attname in wanted]
    if wanted is not None and len(fields) != len(wanted):
        raise ValueError(f"{model.__name__} has no column(s) {sorted(wanted - {f.attname for f in fields})}")
    filters = [_field(model, name) for name in names]
    where = " AND ".join(f"{qn(f.column)} = %s" for f in filters)
    sql = f"SELECT {', '.join(qn(f.column) for f in fields)} FROM {qn(meta.db_table)} WHERE {where}"
    return sql, [f.attname for f in fields], column_converters(model, fields), filters


def update_columns(instance: Model, names: Sequence[str]) -> None:
    """Write the fields `names` (attribute names) of a saved `instance`, as
    `save(update_fields=names)` would (auto_now fields among them are stamped), in one UPDATE."""
    if not names:
        return
    model = type(instance)._meta.concrete_model
    key = (model, tuple(names), connection.alias, connection.vendor)
    plan = _plans.get(key)
    if plan is None:
        qn = connection.ops.quote_name
        fields = [_field(model, name) for name in names]
        sets = ", ".join(f"{qn(f.column)} = %s" for f in fields)
        sql = f"UPDATE {qn(model._meta.db_table)} SET {sets} WHERE {qn(model._meta.pk.column)} = %s"
        plan = _plans[key] = (sql, fields)
    sql, fields = plan
    params = [f.get_db_prep_save(f.pre_save(instance, add=False), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, instance.pk])


def _field(model: type[Model], attname: str):
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return field
    raise ValueError(f"{model.__name__} has no column {attname!r}")
