"""The caregiver's consent page, which their consent email links to: no sign-in, a form that
works without JavaScript, and buttons that agree or stop."""

import pytest
from django.test import Client

from clinic import caregivers
from clinic.models import Caregiver
from notifications.models import Notification
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def caregiver():
    patient = PatientFactory(user__first_name="Canarina")
    return caregivers.caregiver_add(
        patient=patient, name="Robin", phone="+13125550177", email="robin@example.com"
    )


def page(caregiver):
    return f"/caregivers/consent/{caregivers.consent_token(caregiver)}/"


def test_the_page_says_whose_messages_and_what_they_never_say(client, caregiver):
    response = client.get(page(caregiver))

    assert response.status_code == 200
    text = response.content.decode()
    assert "Canarina asked" in text
    assert "never say why the visit is" in text
    assert "I agree to get these emails" in text


def test_agreeing_consents_the_email(client, caregiver):
    response = client.post(page(caregiver), {"agree": ""})

    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    caregiver.refresh_from_db()
    assert caregiver.status == Caregiver.Status.ACTIVE
    assert caregiver.email_consented_at is not None
    assert caregiver.phone_consented_at is None


def test_stopping_stops_every_message(client, caregiver):
    response = client.post(page(caregiver), {"stop": ""})

    assert "no more" in response.content.decode()
    caregiver.refresh_from_db()
    assert caregiver.status == Caregiver.Status.STOPPED
    waiting = Notification.objects.filter(audience=f"caregiver:{caregiver.pk}")
    assert set(waiting.values_list("status", flat=True)) == {"skipped"}


def test_a_stopped_caregiver_is_told_to_ask_the_patient(client, caregiver):
    client.post(page(caregiver), {"stop": ""})

    response = client.post(page(caregiver), {"agree": ""})

    assert "ask Canarina to add you again" in response.content.decode()
    caregiver.refresh_from_db()
    assert caregiver.status == Caregiver.Status.STOPPED


def test_an_unknown_link_answers_404(client, caregiver):
    response = client.get("/caregivers/consent/not-a-token/")

    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()


def test_a_post_without_the_csrf_token_is_refused(caregiver):
    response = Client(enforce_csrf_checks=True).post(page(caregiver), {"agree": ""})

    assert response.status_code == 403
    caregiver.refresh_from_db()
    assert caregiver.status == Caregiver.Status.PENDING_CONSENT


# The patient's caregivers page (from their profile).


@pytest.fixture
def patient_web(patient) -> Client:
    client = Client()
    client.force_login(patient.user)
    return client


def test_the_profile_links_the_caregivers_page(patient_web):
    assert 'href="/profile/caregivers/"' in patient_web.get("/profile/").content.decode()


def test_a_patient_adds_a_caregiver_who_then_waits_for_their_yes(patient, patient_web):
    response = patient_web.post(
        "/profile/caregivers/", {"name": "Robin", "relationship": "son", "phone": "+13125550177", "email": ""}
    )

    assert response.status_code == 302
    page = patient_web.get("/profile/caregivers/").content.decode()
    assert "Robin" in page
    assert "waiting for their YES" in page
    assert patient.caregivers.get().phone == "+13125550177"


def test_a_caregiver_without_phone_or_email_is_refused_on_the_page(patient, patient_web):
    response = patient_web.post("/profile/caregivers/", {"name": "Robin", "phone": "", "email": ""})

    assert response.status_code == 400
    assert "Give a phone number or an email address." in response.content.decode()
    assert not patient.caregivers.exists()


def test_a_patient_removes_a_caregiver_on_the_page(patient, patient_web):
    caregiver = caregivers.caregiver_add(patient=patient, name="Robin", phone="+13125550177")

    response = patient_web.post(f"/profile/caregivers/{caregiver.pk}/remove/")

    assert response.status_code == 302
    assert not patient.caregivers.exists()


def test_another_patients_caregiver_cannot_be_removed(patient_web):
    theirs = caregivers.caregiver_add(patient=PatientFactory(), name="Robin", phone="+13125550177")

    assert patient_web.post(f"/profile/caregivers/{theirs.pk}/remove/").status_code == 404
    assert Caregiver.objects.filter(pk=theirs.pk).exists()
