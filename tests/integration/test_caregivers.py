"""A caregiver through the real pipeline: a worker, Redis, PostgreSQL, the signed webhook. The
patient names them, the worker texts the consent request, the caregiver's YES arrives signed,
and the next booking's confirmation reaches them, without the join link."""

from __future__ import annotations

import itertools
from urllib.parse import urlencode

import pytest
from django.conf import settings
from twilio.request_validator import RequestValidator

from clinic.models import Caregiver
from notifications import tasks
from notifications.models import Notification
from notifications.services.dispatch import notification_dispatch_due
from tests.conftest import client_for
from tests.factories import PatientFactory, SlotFactory
from tests.integration.processes import wait_for
from tests.twilio_fake import AUTH_TOKEN

CAREGIVER_PHONE = "+13125550177"
INBOUND = "/api/v1/webhooks/twilio/inbound/"
_sids = itertools.count(1)


def sent_to(pipeline, phone: str) -> list[str]:
    return [r["data"]["Body"] for r in pipeline.twilio_creates() if r["data"]["To"] == phone]


def dispatch_until_sent_to(pipeline, phone: str, count: int) -> list[str]:
    def arrived() -> bool:
        notification_dispatch_due(enqueue=tasks.enqueue)  # one run, onto the real broker
        return len(sent_to(pipeline, phone)) >= count

    wait_for(arrived, f"{count} texts to {phone}")
    return sent_to(pipeline, phone)


def reply(client, body: str, sender: str):
    params = {"MessageSid": f"SMint{next(_sids):029d}", "From": sender, "Body": body}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(settings.PUBLIC_BASE_URL + INBOUND, params)
    return client.post(
        INBOUND,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_caregiver_who_replied_yes_gets_the_confirmation_without_the_join_link(pipeline, anon, settings):
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    pipeline.start_worker()
    patient = PatientFactory(user__first_name="Canarina", email_opt_in=False)
    named = client_for(patient.user).post(
        "/api/v1/me/caregivers/", {"name": "Robin", "phone": CAREGIVER_PHONE}, format="json"
    )
    assert named.status_code == 201

    (request,) = dispatch_until_sent_to(pipeline, CAREGIVER_PHONE, 1)
    assert request.startswith("Canarina asked") and "Reply YES" in request

    assert reply(anon, "YES", CAREGIVER_PHONE).status_code == 200
    assert Caregiver.objects.get().status == Caregiver.Status.ACTIVE

    booked = client_for(patient.user).post(
        "/api/v1/bookings/", {"slot": SlotFactory().pk, "reason": "CANARY aura"}, format="json"
    )
    assert booked.status_code == 201
    texts = dispatch_until_sent_to(pipeline, CAREGIVER_PHONE, 2)

    confirmation = texts[1]
    assert "Canarina's video visit" in confirmation
    assert booked.json()["video"]["join_url"] not in confirmation
    assert "CANARY" not in confirmation
    copy = Notification.objects.get(audience=f"caregiver:{named.json()['id']}", kind="booking_confirmed")
    assert copy.status == Notification.Status.SENT
