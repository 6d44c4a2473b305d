"""Database expressions the engine's counters need and Django does not ship."""

from django.db import NotSupportedError
from django.db.models import F, Func, JSONField, Value


class JSONCountAdd(Func):
    """A JSON object of counters with the count at `key` changed by `delta`; a count that falls to 0
    (or below) is removed, so the object holds only positive counts (the rollups' `kinds` shape).

    For `update()`: the database does the arithmetic, so a rollup's per-kind counts are bumped in
    the same statement as its other counters, without reading the row first. A missing key counts 0.
    """

    output_field = JSONField()

    def __init__(self, expression, key: str, delta: int):
        if isinstance(expression, str):
            expression = F(expression)
        super().__init__(expression, Value(key), Value(int(delta)))

    def _compiled(self, compiler, connection):
        (doc, doc_params), (key, key_params), (delta, delta_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        return doc, tuple(doc_params), key, tuple(key_params), delta, tuple(delta_params)

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"JSONCountAdd is not implemented for {connection.vendor}.")

    def as_postgresql(self, compiler, connection, **extra_context):
        doc, dp, key, kp, delta, ddp = self._compiled(compiler, connection)
        count = f"(COALESCE((({doc}) ->> ({key})::text)::bigint, 0) + {delta})"
        sql = (
            f"CASE WHEN {count} > 0 THEN jsonb_set(COALESCE({doc}, '{{}}'::jsonb), ARRAY[({key})::text], to_jsonb({count})) "
            f"ELSE COALESCE({doc}, '{{}}'::jsonb) - ({key})::text END"
        )
        count_params = (*dp, *kp, *ddp)
        return sql, (*count_params, *dp, *kp, *count_params, *dp, *kp)

    def as_sqlite(self, compiler, connection, **extra_context):
        doc, dp, key, kp, delta, ddp = self._compiled(compiler, connection)
        path = f"'$.\"' || {key} || '\"'"
        count = f"(COALESCE(json_extract({doc}, {path}), 0) + {delta})"
        sql = (
            f"CASE WHEN {count} > 0 THEN json_set(COALESCE({doc}, '{{}}'), {path}, {count}) "
            f"ELSE json_remove(COALESCE({doc}, '{{}}'), {path}) END"
        )
        count_params = (*dp, *kp, *ddp)
        return sql, (*count_params, *dp, *kp, *count_params, *dp, *kp)
