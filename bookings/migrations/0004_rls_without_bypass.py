"""Row-level security that the application cannot switch off (PostgreSQL only; a no-op elsewhere).

The policy of every bookings table admits only the rows of the connection's
`app.current_organization`; there is no bypass setting any more. A connection starts with no
organization and sees no row. Work across organizations (migrations, cross-tenant jobs) runs as a
database role with BYPASSRLS (docs/bookings.md, "Database roles"). The class–instructor link table,
which has no organization column, admits a link when its class is visible.
"""

import importlib

from django.db import migrations

# The same tables as 0002 (their names never change).
TABLES = importlib.import_module("bookings.migrations.0002_row_level_security").TABLES
LINK_TABLE = "bookings_fitnessclass_instructors"

TENANT = "organization_id = NULLIF(current_setting('app.current_organization', true), '')::bigint"
OLD = f"{TENANT} OR current_setting('app.rls_bypass', true) = 'on'"
LINK = "EXISTS (SELECT 1 FROM bookings_fitnessclass c WHERE c.id = fitnessclass_id)"


def _policy(schema_editor, table, predicate):
    schema_editor.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    schema_editor.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({predicate}) WITH CHECK ({predicate})")


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        _policy(schema_editor, table, TENANT)
    schema_editor.execute(f"ALTER TABLE {LINK_TABLE} ENABLE ROW LEVEL SECURITY")
    schema_editor.execute(f"ALTER TABLE {LINK_TABLE} FORCE ROW LEVEL SECURITY")
    _policy(schema_editor, LINK_TABLE, LINK)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {LINK_TABLE}")
    schema_editor.execute(f"ALTER TABLE {LINK_TABLE} NO FORCE ROW LEVEL SECURITY")
    schema_editor.execute(f"ALTER TABLE {LINK_TABLE} DISABLE ROW LEVEL SECURITY")
    for table in TABLES:
        _policy(schema_editor, table, OLD)


class Migration(migrations.Migration):
    dependencies = [("bookings", "0003_booking_class_status_covers_organization")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
