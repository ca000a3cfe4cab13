# The audit trail moved to the ground floor (core): its table is renamed, and clinic's model
# state leaves; core's first migration takes the model over without touching the table.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('clinic', '0003_audit_event'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AlterModelTable(name='auditevent', table='core_auditevent')],
            state_operations=[migrations.DeleteModel(name='AuditEvent')],
        ),
    ]
