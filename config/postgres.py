"""PostgreSQL connections: server-side parameter binding, with integers refused beyond their column.

Django binds an IntegerField's value as psycopg's `Int4` (SmallIntegerField: `Int2`) when
OPTIONS["server_side_binding"] is on, and psycopg's binary dumpers for those types truncate a value
that does not fit (2**31 arrives as -2147483648, 4294968796 as 1500). Sent as text instead,
PostgreSQL parses the value against the parameter's type and refuses it ("out of range", a
DataError, answered 400 `out_of_range`), exactly as with client-side binding. The dumpers are
psycopg's documented adaptation interface, registered on each new connection.
"""

from psycopg.adapt import Dumper
from psycopg.postgres import types
from psycopg.types.numeric import Int2, Int4


class _IntegerTextDumper(Dumper):
    """Send an integer as its decimal text; PostgreSQL checks the range of the parameter's type."""

    def dump(self, obj) -> bytes:
        return str(int(obj)).encode()


class Int2TextDumper(_IntegerTextDumper):
    oid = types["int2"].oid


class Int4TextDumper(_IntegerTextDumper):
    oid = types["int4"].oid


def on_connection_created(sender, connection, **kwargs) -> None:
    """Register the range-checked integer dumpers on a new PostgreSQL connection (a signal receiver)."""
    if connection.vendor != "postgresql":
        return
    adapters = connection.connection.adapters
    adapters.register_dumper(Int2, Int2TextDumper)
    adapters.register_dumper(Int4, Int4TextDumper)
