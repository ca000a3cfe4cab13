"""`manage.py sms_inbound`: a text acted on as the webhook would."""

import io

import pytest
from django.core.management import call_command

from notifications.models import Notification
from scheduling.services import bookings
from tests.factories import PatientFactory, SlotFactory

pytestmark = pytest.mark.django_db


def test_sms_inbound_acts_on_a_reply_as_the_webhook_does():
    patient = PatientFactory(phone="+12125550199")
    booking = bookings.booking_create(user=patient.user, slot_id=SlotFactory().pk).booking
    out = io.StringIO()

    call_command("sms_inbound", "+12125550199", "1", "--sid", "SM" + "9" * 32, stdout=out)

    assert out.getvalue().strip() == f"SM{'9' * 32}: attendance_confirmed"
    booking.refresh_from_db()
    assert booking.attendance_confirmed_at is not None
    assert Notification.objects.filter(kind="reply", subject="inbound:SM" + "9" * 32).count() == 1


def test_sms_inbound_run_twice_with_one_sid_acts_once():
    PatientFactory(phone="+12125550199")
    out = io.StringIO()

    call_command("sms_inbound", "+12125550199", "STOP", "--sid", "SM" + "9" * 32, stdout=out)
    call_command("sms_inbound", "+12125550199", "START", "--sid", "SM" + "9" * 32, stdout=out)

    assert out.getvalue().splitlines() == [f"SM{'9' * 32}: opted_out", f"SM{'9' * 32}: nothing to do"]
