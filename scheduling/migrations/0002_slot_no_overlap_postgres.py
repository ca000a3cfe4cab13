"""No two slots of one specialist overlap: an exclusion constraint, on PostgreSQL only.

Kept out of `Meta.constraints` on purpose: there it would make `migrate` fail on SQLite, where
the availability services check overlaps under an IMMEDIATE transaction instead.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

from scheduling.migrations._postgres import PostgresOnlySQL

CONSTRAINT = "slot_no_overlap_per_specialist"


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
