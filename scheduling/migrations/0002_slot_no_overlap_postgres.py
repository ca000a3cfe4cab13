"""No two slots of one specialist overlap: an exclusion constraint, on PostgreSQL only.

Kept out of `Meta.constraints` on purpose: there it would make `migrate` fail on SQLite, where
the availability services check overlaps under an IMMEDIATE transaction instead.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

CONSTRAINT = "slot_no_overlap_per_specialist"


class PostgresOnlySQL(migrations.RunSQL):
    """RunSQL that does nothing on other databases."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]
    operations = [
        BtreeGistExtension(),
        PostgresOnlySQL(
            sql=(
                f"ALTER TABLE scheduling_slot ADD CONSTRAINT {CONSTRAINT} "
                "EXCLUDE USING gist (specialist_id WITH =, tstzrange(start, \"end\", '[)') WITH &&)"
            ),
            reverse_sql=f"ALTER TABLE scheduling_slot DROP CONSTRAINT {CONSTRAINT}",
        ),
    ]
