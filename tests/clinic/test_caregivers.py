"""Caregivers' services: naming one asks each address for consent, each address consents for
itself, either side can stop it, and the audit trail names fields, never their values."""

import pytest

from clinic import caregivers
from clinic.models import Caregiver
from core.errors import Gone, InvalidInput, NotFound
from core.models import AuditEvent
from notifications.models import Notification
from tests.factories import CaregiverFactory, PatientFactory

pytestmark = pytest.mark.django_db
Status = Caregiver.Status


def add(patient, **contact):
    contact.setdefault("phone", "+13125550177")
    contact.setdefault("email", "robin@example.com")
    return caregivers.caregiver_add(patient=patient, name="Robin Carer", relationship="daughter", **contact)


def token(caregiver):
    return caregivers.consent_token(caregiver)


def test_a_consent_link_is_the_one_emails_already_carry(settings):
    # Computed once, for this key and nonce, by the code that wrote the links already sent.
    settings.SECRET_KEY = "pinned-secret-key-for-signed-links"
    caregiver = Caregiver(consent_nonce="0123456789abcdef0123456789abcdef")

    assert caregivers.consent_token(caregiver) == "t1Rs8gNHHRq8E-PWqTxgGA"


def test_a_new_caregiver_waits_for_consent():
    caregiver = add(PatientFactory())

    assert caregiver.status == Status.PENDING_CONSENT
    assert caregiver.consented_at is None


def test_naming_a_caregiver_asks_each_address_for_consent():
    caregiver = add(PatientFactory())

    requests = Notification.objects.filter(audience=f"caregiver:{caregiver.pk}", kind="caregiver_consent")
    assert sorted(requests.values_list("channel", "recipient")) == [
        ("email", "robin@example.com"),
        ("sms", "+13125550177"),
    ]
    assert {n.subject for n in requests} == {f"caregiver:{caregiver.pk}"}


def test_a_caregiver_without_phone_or_email_is_refused():
    with pytest.raises(InvalidInput) as refused:
        add(PatientFactory(), phone="", email="")

    assert refused.value.code == "contact_required"
    assert not Caregiver.objects.exists()


def test_a_patient_names_at_most_five_caregivers():
    patient = PatientFactory()
    for n in range(5):
        add(patient, phone=f"+1312555010{n}", email="")

    with pytest.raises(InvalidInput) as refused:
        add(patient, phone="+13125550109", email="")

    assert refused.value.code == "too_many_caregivers"


def test_the_same_phone_twice_for_one_patient_is_refused():
    patient = PatientFactory()
    add(patient, email="")

    with pytest.raises(InvalidInput) as refused:
        add(patient, email="other@example.com")

    assert refused.value.code == "caregiver_exists"


def test_the_audit_trail_names_the_fields_given_not_their_values():
    caregiver = add(PatientFactory())

    event = AuditEvent.objects.get(action="caregiver.added", object_id=caregiver.pk)
    assert event.after["fields"] == ["name", "relationship", "phone", "email"]
    assert "robin" not in str(event.after).lower()
    assert "5550177" not in str(event.after)


def test_the_email_link_consents_the_email_and_activates_the_caregiver():
    caregiver = add(PatientFactory())

    caregivers.caregiver_consent_email(token=token(caregiver))

    caregiver.refresh_from_db()
    assert caregiver.status == Status.ACTIVE
    assert caregiver.email_consented_at is not None
    assert caregiver.phone_consented_at is None  # the phone consents for itself
    assert caregiver.consented_at == caregiver.email_consented_at


def test_a_consent_is_recorded_with_the_address_that_gave_it():
    caregiver = add(PatientFactory())

    caregivers.caregiver_consent_email(token=token(caregiver))

    event = AuditEvent.objects.get(action="caregiver.consented", object_id=caregiver.pk)
    assert event.after == {"address": "email", "status": "active"}


def test_a_consent_by_phone_consents_only_the_caregivers_waiting_on_that_number():
    waiting = add(PatientFactory())
    other = add(PatientFactory(), phone="+13125550188")

    caregivers.caregivers_consent_by_phone(phone="+13125550177")

    waiting.refresh_from_db()
    other.refresh_from_db()
    assert waiting.status == Status.ACTIVE
    assert waiting.phone_consented_at is not None
    assert waiting.email_consented_at is None
    assert other.status == Status.PENDING_CONSENT


def test_a_wrong_link_finds_no_caregiver():
    add(PatientFactory())

    with pytest.raises(NotFound):
        caregivers.caregiver_consent_email(token="not-a-token")


def test_the_stop_button_stops_the_caregiver():
    caregiver = CaregiverFactory()

    caregivers.caregiver_stop_email(token=token(caregiver))

    caregiver.refresh_from_db()
    assert caregiver.status == Status.STOPPED


def test_a_stopped_caregiver_cannot_consent_again_by_the_link():
    caregiver = add(PatientFactory())
    caregivers.caregiver_stop_email(token=token(caregiver))

    with pytest.raises(Gone):
        caregivers.caregiver_consent_email(token=token(caregiver))

    caregiver.refresh_from_db()
    assert caregiver.status == Status.STOPPED


def test_a_stop_by_phone_stops_every_caregiver_with_that_number():
    first = CaregiverFactory(phone="+13125550177")
    second = CaregiverFactory(phone="+13125550177")

    caregivers.caregivers_stop_by_phone(phone="+13125550177")

    assert set(Caregiver.objects.values_list("status", flat=True)) == {Status.STOPPED}
    assert (
        AuditEvent.objects.filter(action="caregiver.stopped", object_id__in=[first.pk, second.pk]).count()
        == 2
    )


def test_a_stopped_caregiver_stays_stopped_when_the_number_says_yes():
    caregiver = add(PatientFactory())
    caregivers.caregivers_stop_by_phone(phone="+13125550177")

    caregivers.caregivers_consent_by_phone(phone="+13125550177")

    caregiver.refresh_from_db()
    assert caregiver.status == Status.STOPPED


def test_removing_a_caregiver_skips_what_waits_for_them():
    caregiver = add(PatientFactory())
    audience = f"caregiver:{caregiver.pk}"

    caregivers.caregiver_remove(caregiver=caregiver)

    assert not Caregiver.objects.exists()
    statuses = Notification.objects.filter(audience=audience).values_list("status", flat=True)
    assert set(statuses) == {"skipped"}
    assert AuditEvent.objects.filter(action="caregiver.removed").exists()
