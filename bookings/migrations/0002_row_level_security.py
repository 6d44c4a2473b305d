"""Row-level security on every bookings table (PostgreSQL only; a no-op elsewhere).

Each table gets RLS enabled and FORCED (so the owning role is subject too) and one policy that
admits a row when its organization is the connection's `app.current_organization`, or when the
connection is trusted (`app.rls_bypass = 'on'`). bookings/rls.py manages both settings. The M2M
table of class instructors has no organization column; it is reached only through classes.
"""

from django.db import migrations

TABLES = [
    "bookings_studio",
    "bookings_venue",
    "bookings_instructor",
    "bookings_classtype",
    "bookings_fitnessclass",
    "bookings_membershipplan",
    "bookings_customermembership",
    "bookings_classpackage",
    "bookings_bookingseries",
    "bookings_booking",
    "bookings_waitlistentry",
]

PREDICATE = (
    "organization_id = NULLIF(current_setting('app.current_organization', true), '')::bigint "
    "OR current_setting('app.rls_bypass', true) = 'on'"
)


def enable(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        schema_editor.execute(
            f"CREATE POLICY tenant_isolation ON {table} USING ({PREDICATE}) WITH CHECK ({PREDICATE})"
        )


def disable(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        schema_editor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")


class Migration(migrations.Migration):
    dependencies = [("bookings", "0001_initial")]

    operations = [migrations.RunPython(enable, disable, elidable=False)]
