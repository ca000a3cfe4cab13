"""Retired slots: kept only for the bookings that point to them, they hold no time.

A slot that no rule offers any more but that a booking still points to (its rule was deleted or
edited while it was booked, or it was removed with past bookings on it) used to stay `blocked`,
and went on counting as taken: the specialist's rules could never offer that time again. Such
slots are now `retired`, and neither the unique start nor (on PostgreSQL) the exclusion
constraint covers them. Blocked slots not under time off were exactly those.
"""

from django.db import migrations, models

from scheduling.migrations._postgres import PostgresOnlySQL

NO_OVERLAP = "slot_no_overlap_per_specialist"
EXCLUDE = "EXCLUDE USING gist (specialist_id WITH =, tstzrange(start, \"end\", '[)') WITH &&)"


def retire_dead_blocked_slots(apps, schema_editor):
    Slot = apps.get_model("scheduling", "Slot")
    Slot.objects.filter(status="blocked", time_off__isnull=True).update(status="retired")


def unretire(apps, schema_editor):
    Slot = apps.get_model("scheduling", "Slot")
    Slot.objects.filter(status="retired").update(status="blocked")


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0003_audit_event"),
        ("scheduling", "0005_leaner_indexes"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="slot", name="slot_unique_start"),
        migrations.AlterField(
            model_name="slot",
            name="status",
            field=models.CharField(
                choices=[("open", "Open"), ("booked", "Booked"), ("blocked", "Blocked"), ("retired", "Retired")],
                default="open",
                max_length=8,
            ),
        ),
        migrations.RunPython(retire_dead_blocked_slots, unretire),
        PostgresOnlySQL(
            sql=[
                f"ALTER TABLE scheduling_slot DROP CONSTRAINT {NO_OVERLAP}",
                f"ALTER TABLE scheduling_slot ADD CONSTRAINT {NO_OVERLAP} {EXCLUDE} WHERE (status <> 'retired')",
            ],
            reverse_sql=[
                f"ALTER TABLE scheduling_slot DROP CONSTRAINT {NO_OVERLAP}",
                f"ALTER TABLE scheduling_slot ADD CONSTRAINT {NO_OVERLAP} {EXCLUDE}",
            ],
        ),
        migrations.AddConstraint(
            model_name="slot",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "retired"), _negated=True),
                fields=("specialist", "start"),
                name="slot_unique_start_unless_retired",
            ),
        ),
    ]
