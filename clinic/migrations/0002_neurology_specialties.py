"""Reference data: the neurology catalogue ships with the schema."""

from django.db import migrations

SPECIALTIES = [
    ("headache-migraine", "Headache and migraine"),
    ("chronic-pain", "Chronic pain"),
    ("epilepsy", "Epilepsy"),
    ("sleep", "Sleep"),
    ("movement-disorders", "Movement disorders"),
    ("multiple-sclerosis", "Multiple sclerosis"),
    ("neuromuscular", "Neuromuscular"),
    ("general-neurology", "General neurology"),
]


def add_specialties(apps, schema_editor):
    Specialty = apps.get_model("clinic", "Specialty")
    for slug, name in SPECIALTIES:
        Specialty.objects.update_or_create(slug=slug, defaults={"name": name})


def remove_specialties(apps, schema_editor):
    apps.get_model("clinic", "Specialty").objects.filter(slug__in=[s for s, _ in SPECIALTIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("clinic", "0001_initial")]
    operations = [migrations.RunPython(add_specialties, remove_specialties)]
