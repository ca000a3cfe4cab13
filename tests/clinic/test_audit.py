"""Changes to people leave an audit event in their transaction: who, which fields, and the
values only of consents and switches (never a phone, an email, a name or a password)."""

from __future__ import annotations

import pytest
from knox.models import AuthToken

from clinic.models import User
from clinic.services import patients_sms_opt_in_by_phone
from core.models import AuditEvent
from tests.conftest import token_for
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def events(object_type: str, object_id: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=object_type, object_id=object_id).order_by("id"))


def test_a_patients_contact_and_consent_change_in_me_is_named_not_copied(patient, patient_client):
    response = patient_client.patch(
        "/api/v1/me/", {"phone": "+12125550188", "sms_opt_in": False}, format="json"
    )

    assert response.status_code == 200
    [event] = events("patient", patient.pk)
    assert (event.actor, event.action) == (patient.user, "patient.updated")
    assert event.before == {"sms_opt_in": True}
    assert event.after == {"changed": ["phone", "sms_opt_in"], "sms_opt_in": False}
    assert "5550188" not in str(event.after) and "5550123" not in str(event.before)


def test_a_stop_reply_records_the_opt_out_by_the_system():
    patient = PatientFactory(phone="+12125550166")

    patients_sms_opt_in_by_phone(phone="+12125550166", opt_in=False)

    [event] = events("patient", patient.pk)
    assert (event.actor, event.action) == (None, "patient.updated")
    assert (event.before, event.after) == (
        {"sms_opt_in": True},
        {"changed": ["sms_opt_in"], "sms_opt_in": False},
    )


def test_an_admin_onboarding_a_specialist_is_recorded(admin_client, admin_user):
    response = admin_client.post(
        "/api/v1/specialists/",
        {
            "email": "new.doc@clinic.example",
            "password": "a-long-enough-password-42",
            "first_name": "Nia",
            "last_name": "Okafor",
            "timezone": "America/Chicago",
            "licenses": [{"state": "TX", "number": "TX-1", "expires_on": "2030-01-01"}],
        },
        format="json",
    )

    assert response.status_code == 201
    [event] = events("specialist", response.json()["id"])
    assert (event.actor, event.action) == (admin_user, "specialist.onboarded")
    assert event.after["licenses"] == [{"state": "TX", "expires_on": "2030-01-01"}]
    assert "new.doc" not in str(event.after)


def test_an_admin_changing_a_specialists_profile_and_licences_is_recorded(
    admin_client, admin_user, specialist
):
    response = admin_client.patch(
        f"/api/v1/specialists/{specialist.pk}/",
        {
            "accepting_new_patients": False,
            "bio": "Headache medicine.",
            "licenses": [{"state": "NJ", "number": "NJ-9", "expires_on": "2031-05-01"}],
        },
        format="json",
    )

    assert response.status_code == 200
    changed, licensed = events("specialist", specialist.pk)
    assert (changed.actor, changed.action) == (admin_user, "specialist.updated")
    assert changed.before == {"accepting_new_patients": True}
    assert changed.after == {
        "changed": ["accepting_new_patients", "bio", "licenses"],
        "accepting_new_patients": False,
    }
    assert (licensed.actor, licensed.action) == (admin_user, "specialist.licenses_set")
    assert licensed.before["licenses"][0]["state"] == "NY"
    assert licensed.after == {"licenses": [{"state": "NJ", "expires_on": "2031-05-01"}]}


def test_a_refused_change_leaves_no_event(admin_client, specialist):
    # The service itself refuses (one licence per state) after it changed the bio: both go.
    twice = [{"state": "NY", "number": f"NY-{n}", "expires_on": "2030-01-01"} for n in (1, 2)]

    response = admin_client.patch(
        f"/api/v1/specialists/{specialist.pk}/", {"bio": "Changed", "licenses": twice}, format="json"
    )

    assert response.status_code == 400 and "licenses" in response.json()["fields"]
    specialist.refresh_from_db()
    assert specialist.bio != "Changed"
    assert AuditEvent.objects.count() == 0


@pytest.fixture
def operator(client):
    from clinic.models import User

    user = User.objects.create_superuser(email="ops@clinic.example", password="x" * 12)
    client.force_login(user)
    return user


def test_an_edit_in_the_django_admin_names_fields_and_inline_rows_without_their_text(
    client, operator, specialist
):
    [license] = specialist.licenses.all()
    form = {
        "user": specialist.user_id,
        "credentials": "MD",
        "bio": "CANARY bio",
        "timezone": "America/New_York",
        "accepting_new_patients": "on",
        "is_active": "on",
        "email_alerts": "on",
        "visit_types": [v.pk for v in specialist.visit_types.all()],
        "licenses-TOTAL_FORMS": "2",
        "licenses-INITIAL_FORMS": "1",
        "licenses-0-id": license.pk,
        "licenses-0-specialist": specialist.pk,
        "licenses-0-state": "NY",
        "licenses-0-number": license.number,
        "licenses-0-expires_on": license.expires_on.isoformat(),
        "licenses-1-specialist": specialist.pk,
        "licenses-1-state": "NJ",
        "licenses-1-number": "CANARY-NJ-7",
        "licenses-1-expires_on": "2031-01-01",
    }

    response = client.post(f"/admin/clinic/specialist/{specialist.pk}/change/", form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    service, event = events("specialist", specialist.pk)
    assert (service.action, service.after) == ("specialist.updated", {"changed": ["bio"]})
    assert (event.actor, event.action) == (operator, "admin.changed")
    assert event.after == {
        "via": "admin",
        "fields": ["Bio", "Specialties"],
        "inlines": [{"added": "state license", "fields": []}],
    }
    assert "CANARY" not in str(event.after)


def test_a_deletion_in_the_django_admin_is_recorded(client, operator):
    from clinic.models import Specialty

    specialty = Specialty.objects.create(slug="audit-test", name="Audit test")

    response = client.post(f"/admin/clinic/specialty/{specialty.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    [event] = events("specialty", specialty.pk)
    assert (event.actor, event.action, event.before, event.after) == (operator, "admin.deleted", None, None)


def test_a_corrected_email_in_the_django_admin_is_named_not_copied(client, operator):
    patient = PatientFactory(user__email="before@example.org")
    user = patient.user
    form = {
        "email": "after@example.org",
        "role": user.role,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }

    assert client.post(f"/admin/clinic/user/{user.pk}/change/", form).status_code == 302

    updated, changed = events("user", user.pk)
    assert (updated.actor, updated.action, updated.after) == (
        operator,
        "user.updated",
        {"changed": ["email"]},
    )
    assert changed.action == "admin.changed" and "Email" in changed.after["fields"]
    assert "example.org" not in str(updated.after) + str(changed.after)


def test_a_registration_records_the_patients_consents_and_nothing_else(anon):
    from tests.clinic.test_api import REGISTRATION

    response = anon.post("/api/v1/auth/register/", REGISTRATION, format="json")

    [event] = AuditEvent.objects.filter(action="patient.registered")
    assert event.actor_id == event.object_id == response.json()["id"]
    assert set(event.after) == {"sms_opt_in", "email_opt_in"}


def test_an_admin_adding_a_visit_type_is_recorded(admin_client, admin_user):
    body = {"slug": "eeg-review", "name": "EEG review", "duration_minutes": 45, "new_patient": False}

    response = admin_client.post("/api/v1/visit-types/", body, format="json")

    [event] = events("visittype", response.json()["id"])
    assert (event.actor, event.action) == (admin_user, "visit_type.created")
    assert event.after == {"slug": "eeg-review", "duration_minutes": 45, "new_patient": False}


def test_deactivating_a_specialist_in_the_django_admin_goes_through_the_service(client, operator, specialist):
    token_for(specialist.user)
    [license] = specialist.licenses.all()
    form = {
        "user": specialist.user_id,
        "credentials": "MD",
        "bio": "",
        "timezone": "America/New_York",
        "accepting_new_patients": "on",
        "email_alerts": "on",
        "specialties": [s.pk for s in specialist.specialties.all()],
        "visit_types": [v.pk for v in specialist.visit_types.all()],
        "licenses-TOTAL_FORMS": "1",
        "licenses-INITIAL_FORMS": "1",
        "licenses-0-id": license.pk,
        "licenses-0-specialist": specialist.pk,
        "licenses-0-state": "NY",
        "licenses-0-number": license.number,
        "licenses-0-expires_on": license.expires_on.isoformat(),
    }

    response = client.post(f"/admin/clinic/specialist/{specialist.pk}/change/", form)

    assert response.status_code == 302
    specialist.user.refresh_from_db()
    assert specialist.user.is_active is False
    assert not AuthToken.objects.filter(user=specialist.user).exists()
    updated = AuditEvent.objects.get(action="specialist.updated")
    assert (updated.actor, updated.after) == (operator, {"changed": ["is_active"], "is_active": False})


def test_a_session_sign_in_and_sign_out_are_recorded_with_the_address(client):
    user = User.objects.create_superuser(email="ops@clinic.example", password="a-long-passphrase")

    signed_in = client.post(
        "/admin/login/?next=/admin/",
        {"username": "ops@clinic.example", "password": "a-long-passphrase"},
        REMOTE_ADDR="203.0.113.9",
    )
    assert signed_in.status_code == 302
    client.post("/admin/logout/", REMOTE_ADDR="203.0.113.9")

    recorded = [
        (e.actor, e.action, e.after, e.address)
        for e in AuditEvent.objects.filter(object_type="user", object_id=user.pk).order_by("id")
    ]
    assert recorded == [
        (user, "login", {"via": "session"}, "203.0.113.9"),
        (user, "logout", {"via": "session"}, "203.0.113.9"),
    ]
    assert client.get("/admin/").status_code == 302  # signed out indeed


def test_a_failed_session_sign_in_records_no_login(client):
    User.objects.create_superuser(email="ops@clinic.example", password="a-long-passphrase")
    client.post("/admin/login/?next=/admin/", {"username": "ops@clinic.example", "password": "wrong"})
    assert not AuditEvent.objects.filter(action="login").exists()
