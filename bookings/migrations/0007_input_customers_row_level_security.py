"""Row-level security on the customers (PostgreSQL only; a no-op elsewhere).

A studio's customers are the engine's `attendance.models.Member` rows (gym members too). Their
table gets the same forced policy as every bookings table (0004): a connection admits only the rows
of its `app.current_organization`, a connection with none sees no customer, and there is no bypass
setting. bookings/rls.py names the organization; work across organizations runs as a role with
BYPASSRLS (docs/bookings.md, "Database roles").
"""

from django.db import migrations

TABLE = "attendance_member"
TENANT = "organization_id = NULLIF(current_setting('app.current_organization', true), '')::bigint"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
    schema_editor.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
    schema_editor.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {TABLE}")
    schema_editor.execute(f"CREATE POLICY tenant_isolation ON {TABLE} USING ({TENANT}) WITH CHECK ({TENANT})")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {TABLE}")
    schema_editor.execute(f"ALTER TABLE {TABLE} NO FORCE ROW LEVEL SECURITY")
    schema_editor.execute(f"ALTER TABLE {TABLE} DISABLE ROW LEVEL SECURITY")


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0006_merge_20261203_1511"),
        ("attendance", "0006_merge_20261203_1511"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
