"""On PostgreSQL, NOTIFY the relay when outbox rows commit (NOTIFY is delivered at commit).

One statement-level trigger, so a write that records several events sends one notification;
other databases have no NOTIFY and the relay polls there.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION realtime_outbox_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('realtime_outbox', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER realtime_outbox_notify AFTER INSERT ON realtime_outboxevent
    FOR EACH STATEMENT EXECUTE FUNCTION realtime_outbox_notify();
"""
DROP = """
DROP TRIGGER IF EXISTS realtime_outbox_notify ON realtime_outboxevent;
DROP FUNCTION IF EXISTS realtime_outbox_notify();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("realtime", "0001_outbox")]
    operations = [migrations.RunPython(create, drop)]
