# DRF's `rest_framework.authtoken` stored API tokens in plain text (and the Django admin showed
# them in full): knox's hashed tokens replace them. The old table goes with its tokens, which are
# not carried over: a token that was readable in the admin or in a copy of the database is not
# kept, and clients sign in again. Its migrations' records go too, so that `migrate` would build
# the table afresh if the app ever came back.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0004_audit_event_to_core"),
    ]

    operations = [
        migrations.RunSQL(
            [
                "DROP TABLE IF EXISTS authtoken_token",
                "DELETE FROM django_migrations WHERE app = 'authtoken'",
            ],
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
