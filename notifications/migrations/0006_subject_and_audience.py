"""Messages about more than bookings, for more than the patient (issue 13): every row names its
subject and its audience, and those, not the booking, make it unique. Existing rows are all the
patient's messages about a booking."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Value
from django.db.models.functions import Cast, Concat


def subjects_of_bookings(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    Notification.objects.update(
        subject=Concat(Value("booking:"), Cast("booking_id", models.CharField()))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0005_webhook_receipts"),
        ("scheduling", "0007_attendance_confirmed"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="subject",
            field=models.CharField(default="", max_length=80),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="notification",
            name="audience",
            field=models.CharField(default="patient", max_length=32),
        ),
        migrations.AddField(
            model_name="notification",
            name="variant",
            field=models.CharField(blank=True, max_length=24),
        ),
        migrations.RunPython(subjects_of_bookings, migrations.RunPython.noop, elidable=True),
        migrations.RemoveConstraint(
            model_name="notification",
            name="one_notification_per_booking_kind_offset_channel",
        ),
        migrations.AlterField(
            model_name="notification",
            name="booking",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="notifications",
                to="scheduling.booking",
            ),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                fields=("subject", "kind", "offset", "channel", "audience"),
                name="one_notification_per_subject_kind_offset_channel_audience",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("booking_confirmed", "Booking Confirmed"),
                    ("reminder", "Reminder"),
                    ("booking_cancelled", "Booking Cancelled"),
                    ("booking_rescheduled", "Booking Rescheduled"),
                    ("waitlist_offer", "Waitlist Offer"),
                    ("reply", "Reply"),
                    ("caregiver_consent", "Caregiver Consent"),
                ],
                max_length=24,
            ),
        ),
        migrations.CreateModel(
            name="SmsOptOut",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("phone", models.CharField(max_length=32, unique=True)),
                ("at", models.DateTimeField(auto_now_add=True)),
            ],
            options={"verbose_name": "SMS opt-out"},
        ),
    ]
