"""No attendee's sessions overlap: an exclusion constraint on PostgreSQL (btree_gist for the equality
columns). Sessions are half-open ranges [checked_in_at, checked_out_at); an open session's range
runs to infinity (a null upper bound). Other databases rely on the service's rule
(attendance.services.common.refuse_overlap), which every write goes through.

The constraint lives in this migration, not in CheckIn.Meta: SQLite cannot create it, and Django
would otherwise also run it as model validation (admin forms) on every database.
"""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations
from django.db.migrations.operations.base import Operation
from django.db.models import Func


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


NO_OVERLAPPING_SESSIONS = ExclusionConstraint(
    name="no_overlapping_sessions",
    expressions=[
        ("attendee_type", RangeOperators.EQUAL),
        ("attendee_id", RangeOperators.EQUAL),
        (TsTzRange("checked_in_at", "checked_out_at", RangeBoundary()), RangeOperators.OVERLAPS),
    ],
)


class AddConstraintOnPostgres(Operation):
    """Add a constraint to the database on PostgreSQL only; the migration state is left as it is."""

    reversible = True

    def __init__(self, model_name, constraint):
        self.model_name = model_name
        self.constraint = constraint

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_constraint(to_state.apps.get_model(app_label, self.model_name), self.constraint)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.remove_constraint(from_state.apps.get_model(app_label, self.model_name), self.constraint)

    def describe(self):
        return f"Add constraint {self.constraint.name} to {self.model_name} on PostgreSQL"

    def deconstruct(self):
        return self.__class__.__name__, [], {"model_name": self.model_name, "constraint": self.constraint}


class Migration(migrations.Migration):
    dependencies = [("attendance", "0006_merge_20261203_1511")]

    operations = [
        BtreeGistExtension(),
        AddConstraintOnPostgres("checkin", NO_OVERLAPPING_SESSIONS),
    ]
