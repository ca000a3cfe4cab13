# The audit trail's content type follows it from clinic to core, so the permissions staff were
# given on it (view_auditevent) keep their meaning. On a new database there is nothing to move:
# content types are made after the migrations run.

from django.db import migrations


def _move(apps, schema_editor, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label=target, model="auditevent").exists():
        ContentType.objects.filter(app_label=source, model="auditevent").update(app_label=target)


def to_core(apps, schema_editor):
    _move(apps, schema_editor, "clinic", "core")


def to_clinic(apps, schema_editor):
    _move(apps, schema_editor, "core", "clinic")


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0001_initial"),
    ]

    operations = [migrations.RunPython(to_core, to_clinic)]
