"""Accounts and catalogue over HTTP."""

import datetime as dt
import json

import pytest
import time_machine
from django.utils import timezone
from knox.models import AuthToken

from clinic.models import Caregiver, Patient, Specialist, User, VisitType
from core.models import AuditEvent
from tests.api.contract import assert_error
from tests.conftest import client_for, token_for
from tests.factories import PASSWORD, CaregiverFactory, SpecialistFactory, VisitTypeFactory

pytestmark = pytest.mark.django_db

REGISTRATION = {
    "email": "Jordan.Lee@Example.com",
    "password": "a-long-enough-passphrase",
    "first_name": "Jordan",
    "last_name": "Lee",
    "phone": "+12125550101",
    "state": "NY",
    "timezone": "America/New_York",
    "sms_opt_in": True,
    "email_opt_in": True,
}


def test_register_creates_a_patient_and_returns_a_working_token(anon):
    response = anon.post("/api/v1/auth/register/", REGISTRATION, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "token", "expires_at"}
    patient = Patient.objects.get(pk=body["id"])
    assert patient.user.email == "jordan.lee@example.com"
    assert patient.user.role == User.Role.PATIENT
    me = anon.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert me.status_code == 200
    assert me.json() == {
        "id": body["id"],
        "email": "jordan.lee@example.com",
        "role": "patient",
        "first_name": "Jordan",
        "last_name": "Lee",
        "phone": "+12125550101",
        "state": "NY",
        "timezone": "America/New_York",
        "language": "en",
        "sms_opt_in": True,
        "email_opt_in": True,
        "sms_alerts": None,
        "email_alerts": None,
    }


def test_register_twice_with_one_email_answers_email_taken(anon):
    assert anon.post("/api/v1/auth/register/", REGISTRATION, format="json").status_code == 201
    again = anon.post(
        "/api/v1/auth/register/", {**REGISTRATION, "email": "jordan.lee@example.com"}, format="json"
    )
    assert again.status_code == 400
    assert again.json()["code"] == "email_taken"
    assert "email" in again.json()["fields"]


def test_a_registration_that_could_not_succeed_does_not_say_whether_the_email_exists(anon):
    assert anon.post("/api/v1/auth/register/", REGISTRATION, format="json").status_code == 201
    weak = anon.post("/api/v1/auth/register/", {**REGISTRATION, "password": "123"}, format="json")
    fresh = anon.post(
        "/api/v1/auth/register/",
        {**REGISTRATION, "email": "nobody@example.com", "password": "123"},
        format="json",
    )
    assert weak.status_code == fresh.status_code == 400
    assert weak.json() == fresh.json()  # the password's refusal, the same for both emails
    assert "email" not in weak.json()["fields"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "212-555-0101"),
        ("phone", "+1555"),
        ("state", "XX"),
        ("timezone", "Mars/Olympus_Mons"),
        ("email", "not-an-email"),
        ("password", "123"),
    ],
)
def test_register_rejects_invalid_fields_by_name(anon, field, value):
    response = anon.post("/api/v1/auth/register/", {**REGISTRATION, field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not User.objects.exists()


def test_token_for_right_password_and_invalid_credentials_otherwise(anon, patient):
    ok = anon.post("/api/v1/auth/token/", {"email": patient.user.email, "password": PASSWORD}, format="json")
    assert ok.status_code == 200
    assert len(ok.json()["token"]) == 64  # 256 bits, hex
    wrong = anon.post("/api/v1/auth/token/", {"email": patient.user.email, "password": "nope"}, format="json")
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "invalid_credentials"


def test_anonymous_me_answers_401_with_the_error_shape(anon):
    response = anon.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_patch_me_changes_contact_fields(patient_client, patient):
    response = patient_client.patch(
        "/api/v1/me/",
        {"phone": "+14155550199", "state": "CA", "timezone": "America/Los_Angeles"},
        format="json",
    )
    assert response.status_code == 200
    patient.refresh_from_db()
    assert (str(patient.phone), patient.state, str(patient.timezone)) == (
        "+14155550199",
        "CA",
        "America/Los_Angeles",
    )


def test_patch_me_changes_the_language_of_pages_and_messages(patient_client, patient):
    response = patient_client.patch("/api/v1/me/", {"language": "es"}, format="json")
    assert response.status_code == 200
    assert response.json()["language"] == "es"
    patient.refresh_from_db()
    assert patient.language == "es"


def test_specialist_cannot_set_patient_fields_on_me(specialist_client):
    response = specialist_client.patch("/api/v1/me/", {"state": "CA"}, format="json")
    assert response.status_code == 400
    assert "state" in response.json()["fields"]


def test_specialties_ship_with_the_migrations(anon):
    slugs = {s["slug"] for s in anon.get("/api/v1/specialties/").json()["results"]}
    assert slugs == {
        "headache-migraine",
        "chronic-pain",
        "epilepsy",
        "sleep",
        "movement-disorders",
        "multiple-sclerosis",
        "neuromuscular",
        "general-neurology",
    }


def test_specialists_filter_by_state_keeps_only_licenses_valid_today(anon):
    licensed = SpecialistFactory(states=["NY"])
    expired = SpecialistFactory(states=[])
    expired.licenses.create(state="NY", number="old", expires_on=timezone.localdate() - dt.timedelta(days=1))
    SpecialistFactory(states=["CA"])
    ids = [s["id"] for s in anon.get("/api/v1/specialists/?state=NY").json()["results"]]
    assert ids == [licensed.pk]


def test_specialists_filter_by_specialty_and_accepting(anon):
    pain = SpecialistFactory(specialties=["chronic-pain"])
    SpecialistFactory(specialties=["epilepsy"])
    SpecialistFactory(specialties=["chronic-pain"], accepting_new_patients=False)
    ids = [
        s["id"]
        for s in anon.get("/api/v1/specialists/?specialty=chronic-pain&accepting_new_patients=true").json()[
            "results"
        ]
    ]
    assert ids == [pain.pk]


def test_specialist_detail_hides_email_and_licenses_from_non_admins(anon, admin_client, specialist):
    public = anon.get(f"/api/v1/specialists/{specialist.pk}/").json()
    assert public["email"] is None and public["licenses"] is None
    assert public["licensed_states"] == ["NY"]
    private = admin_client.get(f"/api/v1/specialists/{specialist.pk}/").json()
    assert private["email"] == specialist.user.email
    assert private["licenses"][0]["state"] == "NY"


def test_admin_onboards_a_specialist_who_can_log_in(admin_client, anon):
    consult = VisitTypeFactory()
    response = admin_client.post(
        "/api/v1/specialists/",
        {
            "email": "new.doc@clinic.example",
            "password": "another-long-passphrase",
            "first_name": "Nia",
            "last_name": "Stone",
            "credentials": "MD",
            "bio": "Headache medicine.",
            "timezone": "America/Chicago",
            "specialties": ["headache-migraine", "chronic-pain"],
            "licenses": [{"state": "TX", "number": "TX-1", "expires_on": "2030-01-01"}],
            "accepting_new_patients": True,
            "visit_types": [consult.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["specialties"] == ["chronic-pain", "headache-migraine"]
    assert body["licensed_states"] == ["TX"]
    assert Specialist.objects.get(pk=body["id"]).user.role == User.Role.SPECIALIST
    login = anon.post(
        "/api/v1/auth/token/",
        {"email": "new.doc@clinic.example", "password": "another-long-passphrase"},
        format="json",
    )
    assert login.status_code == 200


def test_only_admins_onboard_specialists(patient_client, specialist_client):
    for client in (patient_client, specialist_client):
        assert client.post("/api/v1/specialists/", {}, format="json").status_code == 403


def test_admin_patch_replaces_licenses(admin_client, specialist):
    response = admin_client.patch(
        f"/api/v1/specialists/{specialist.pk}/",
        {"licenses": [{"state": "NJ", "number": "NJ-9", "expires_on": "2031-05-01"}]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["licensed_states"] == ["NJ"]


@pytest.mark.parametrize(
    "login",
    [
        {"email": "attacker@example.com"},
        {"password": "the-attackers-passphrase"},
        {"email": "attacker@example.com", "password": "the-attackers-passphrase"},
    ],
    ids=["email", "password", "both"],
)
def test_admin_patch_cannot_change_a_specialists_login(admin_client, specialist, login):
    email = specialist.user.email

    response = admin_client.patch(
        f"/api/v1/specialists/{specialist.pk}/", {"bio": "Changed too?", **login}, format="json"
    )

    body = assert_error(response, 400)
    assert set(body["fields"]) == set(login)
    specialist.refresh_from_db()
    specialist.user.refresh_from_db()
    assert specialist.bio != "Changed too?"  # nothing of the request applies
    assert specialist.user.email == email
    assert specialist.user.check_password(PASSWORD)
    assert not specialist.user.check_password("the-attackers-passphrase")


def test_the_schema_offers_no_login_field_to_the_specialist_patch(anon):
    schema = anon.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    patch = schema["components"]["schemas"]["PatchedSpecialistPatchRequest"]

    assert "bio" in patch["properties"]
    assert "email" not in patch["properties"]
    assert "password" not in patch["properties"]


def test_admin_creates_visit_type_and_others_cannot(admin_client, patient_client):
    data = {
        "slug": "headache-follow-up",
        "name": "Headache follow-up",
        "duration_minutes": 20,
        "new_patient": False,
    }
    assert patient_client.post("/api/v1/visit-types/", data, format="json").status_code == 403
    created = admin_client.post("/api/v1/visit-types/", data, format="json")
    assert created.status_code == 201
    assert created.json()["duration_minutes"] == 20
    again = admin_client.post("/api/v1/visit-types/", data, format="json")
    assert again.status_code == 400
    assert again.json()["code"] == "slug_taken"


def test_a_visit_type_created_without_new_patient_is_one_for_new_patients(admin_client):
    # `new_patient` is optional in the schema; leaving it out once answered 500.
    data = {"slug": "first-visit", "name": "First visit", "duration_minutes": 45}
    created = admin_client.post("/api/v1/visit-types/", data, format="json")
    assert created.status_code == 201, created.content[:300]
    assert created.json()["new_patient"] is True
    assert VisitType.objects.get(slug="first-visit").new_patient is True


def test_deactivating_a_specialist_ends_their_tokens_sessions_and_sign_in(admin_client, specialist):
    from django.test import Client

    token_client = client_for(specialist.user)
    session = Client()
    session.force_login(specialist.user)
    assert token_client.get("/api/v1/bookings/").status_code == 200
    assert session.get("/api/v1/bookings/").status_code == 200

    off = admin_client.patch(f"/api/v1/specialists/{specialist.pk}/", {"is_active": False}, format="json")
    assert off.status_code == 200

    assert token_client.get("/api/v1/bookings/").status_code == 401
    assert session.get("/api/v1/bookings/").status_code in (401, 403)  # the session is anonymous now
    assert not AuthToken.objects.filter(user=specialist.user).exists()
    event = AuditEvent.objects.get(action="token_revoked")
    assert (event.object_id, event.after) == (specialist.user.pk, {"reason": "deactivated", "tokens": 1})
    sign_in = {"email": specialist.user.email, "password": PASSWORD}
    refused = client_for(None).post("/api/v1/auth/token/", sign_in, format="json")
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_credentials")

    admin_client.patch(f"/api/v1/specialists/{specialist.pk}/", {"is_active": True}, format="json")
    assert client_for(None).post("/api/v1/auth/token/", sign_in, format="json").status_code == 200


def sign_in(client, user, password=PASSWORD):
    return client.post("/api/v1/auth/token/", {"email": user.email, "password": password}, format="json")


def test_a_token_expires_at_a_fixed_time_told_at_sign_in(anon, patient, settings):
    with time_machine.travel(dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC), tick=False):
        body = sign_in(anon, patient.user).json()
    assert set(body) == {"token", "expires_at"}
    assert body["expires_at"] == "2026-05-31T12:00:00Z"  # TOKEN_TTL_HOURS, 720 by default
    me = {"HTTP_AUTHORIZATION": f"Token {body['token']}"}
    with time_machine.travel(dt.datetime(2026, 5, 31, 11, 59, tzinfo=dt.UTC), tick=False):
        assert anon.get("/api/v1/me/", **me).status_code == 200  # using it does not extend it
    with time_machine.travel(dt.datetime(2026, 5, 31, 12, 0, 1, tzinfo=dt.UTC), tick=False):
        expired = anon.get("/api/v1/me/", **me)
    assert expired.status_code == 401
    assert expired.json() == {"detail": "Invalid token.", "code": "authentication_failed"}


def test_register_answers_the_token_and_when_it_expires(anon):
    with time_machine.travel(dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC), tick=False):
        body = anon.post("/api/v1/auth/register/", REGISTRATION, format="json").json()
        assert set(body) == {"id", "token", "expires_at"}
        assert body["expires_at"] == "2026-05-31T12:00:00Z"
        assert anon.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {body['token']}").status_code == 200


def test_logout_revokes_the_token_it_was_called_with_only(anon, patient):
    phone, laptop = (sign_in(anon, patient.user).json()["token"] for _ in range(2))

    out = anon.post("/api/v1/auth/logout/", HTTP_AUTHORIZATION=f"Token {phone}")

    assert (out.status_code, out.content) == (204, b"")
    revoked = anon.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {phone}")
    assert (revoked.status_code, revoked.json()["code"]) == (401, "authentication_failed")
    assert anon.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {laptop}").status_code == 200
    event = AuditEvent.objects.get(action="token_revoked")
    assert (event.actor, event.object_type, event.object_id) == (patient.user, "user", patient.user.pk)
    assert event.after == {"reason": "logout", "tokens": 1}


def test_logout_without_a_token_answers_401_in_the_error_shape(anon):
    response = anon.post("/api/v1/auth/logout/")
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


def test_a_sign_in_is_audited_without_the_token(anon, patient):
    token = sign_in(anon, patient.user).json()["token"]
    assert sign_in(anon, patient.user, password="wrong-password").status_code == 400

    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.object_type, event.object_id) == (
        "login",
        patient.user,
        "user",
        patient.user.pk,
    )
    assert token[:8] not in json.dumps([event.before, event.after])


def test_a_password_change_in_the_django_admin_revokes_every_token(client, patient):
    token = sign_in(client_for(None), patient.user).json()["token"]
    client.force_login(User.objects.create_superuser(email="ops@clinic.example", password="x" * 12))

    response = client.post(
        f"/admin/clinic/user/{patient.user.pk}/password/",
        {
            "password1": "a-brand-new-passphrase",
            "password2": "a-brand-new-passphrase",
            "usable_password": "true",
        },
    )

    assert response.status_code == 302
    assert client_for(None).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401
    assert sign_in(client_for(None), patient.user, "a-brand-new-passphrase").status_code == 200


def test_a_password_set_anywhere_revokes_every_token(patient):
    token = sign_in(client_for(None), patient.user).json()["token"]

    patient.user.set_password("a-brand-new-passphrase")  # as `manage.py changepassword` does
    patient.user.save()

    assert client_for(None).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401


def test_a_profile_change_keeps_the_tokens(patient_client):
    assert patient_client.patch("/api/v1/me/", {"first_name": "Sam"}, format="json").status_code == 200
    assert patient_client.get("/api/v1/me/").status_code == 200


def test_deactivating_a_user_in_the_django_admin_ends_their_tokens(client, patient):
    token = token_for(patient.user)
    operator = User.objects.create_superuser(email="ops@clinic.example", password="x" * 12)
    client.force_login(operator)
    page = f"/admin/clinic/user/{patient.user.pk}/change/"
    form = {
        "email": patient.user.email,
        "role": "patient",
        "first_name": patient.user.first_name,
        "last_name": patient.user.last_name,
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
    }  # is_active left out: unticked

    assert client.post(page, form).status_code == 302

    assert not AuthToken.objects.filter(user=patient.user).exists()
    event = AuditEvent.objects.get(action="token_revoked")
    assert (event.actor, event.after) == (operator, {"reason": "deactivated", "tokens": 1})
    assert client_for(None).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401


def test_turning_password_sign_in_off_in_the_django_admin_revokes_every_token(client, patient):
    token = sign_in(client_for(None), patient.user).json()["token"]
    client.force_login(User.objects.create_superuser(email="ops@clinic.example", password="x" * 12))

    page = f"/admin/clinic/user/{patient.user.pk}/password/"
    response = client.post(page, {"usable_password": "false", "unset-password": "Disable"})

    assert response.status_code == 302
    patient.user.refresh_from_db()
    assert not patient.user.has_usable_password()
    assert client_for(None).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401
    event = AuditEvent.objects.get(action="token_revoked")
    assert event.after == {"reason": "password_disabled", "tokens": 1}


def test_a_specialist_sets_their_phone_and_alerts_on_their_profile(specialist_client, specialist):
    response = specialist_client.patch(
        "/api/v1/me/", {"phone": "+13125550142", "sms_alerts": True, "email_alerts": False}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["phone"], body["sms_alerts"], body["email_alerts"]) == ("+13125550142", True, False)
    assert (body["sms_opt_in"], body["state"]) == (None, None)
    specialist.refresh_from_db()
    assert (str(specialist.phone), specialist.sms_alerts, specialist.email_alerts) == (
        "+13125550142",
        True,
        False,
    )


def test_sms_alerts_need_a_phone(specialist_client, specialist):
    response = specialist_client.patch("/api/v1/me/", {"sms_alerts": True}, format="json")

    assert (response.status_code, list(response.json()["fields"])) == (400, ["sms_alerts"])
    specialist.refresh_from_db()
    assert specialist.sms_alerts is False


def test_a_patient_has_no_alerts_to_set(patient_client):
    response = patient_client.patch("/api/v1/me/", {"sms_alerts": True}, format="json")

    assert (response.status_code, list(response.json()["fields"])) == (400, ["sms_alerts"])


def test_a_specialist_has_no_consents_of_a_patient_to_set(specialist_client):
    response = specialist_client.patch("/api/v1/me/", {"sms_opt_in": True}, format="json")

    assert (response.status_code, list(response.json()["fields"])) == (400, ["sms_opt_in"])


def test_an_admin_sees_a_specialists_phone_and_alerts(admin_client, specialist):
    specialist.phone = "+13125550142"
    specialist.save()

    body = admin_client.get(f"/api/v1/specialists/{specialist.pk}/").json()

    assert (body["phone"], body["sms_alerts"], body["email_alerts"]) == ("+13125550142", False, True)


def test_anyone_else_sees_none_of_them(anon, specialist):
    body = anon.get(f"/api/v1/specialists/{specialist.pk}/").json()

    assert (body["phone"], body["sms_alerts"], body["email_alerts"]) == (None, None, None)


def test_an_admin_sets_a_specialists_alerts(admin_client, specialist):
    response = admin_client.patch(
        f"/api/v1/specialists/{specialist.pk}/", {"phone": "+13125550142", "sms_alerts": True}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["phone"], response.json()["sms_alerts"]) == ("+13125550142", True)


# Caregivers: me/caregivers/ (API.md, "Caregivers").

CAREGIVERS_URL = "/api/v1/me/caregivers/"


def test_a_patient_names_a_caregiver_who_waits_for_consent(patient_client):
    response = patient_client.post(
        CAREGIVERS_URL,
        {"name": "Robin Carer", "relationship": "daughter", "phone": "+13125550177"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"],
        "name": "Robin Carer",
        "relationship": "daughter",
        "phone": "+13125550177",
        "email": None,
        "status": "pending_consent",
        "consented_at": None,
    }


def test_a_patient_lists_their_own_caregivers_only(patient, patient_client):
    CaregiverFactory(patient=patient, name="Mine")
    CaregiverFactory(name="Someone else's")

    response = patient_client.get(CAREGIVERS_URL)

    assert response.status_code == 200
    assert [c["name"] for c in response.json()["results"]] == ["Mine"]
    assert response.json()["results"][0]["status"] == "active"
    assert response.json()["results"][0]["consented_at"] is not None


def test_a_caregiver_without_phone_or_email_answers_400_naming_both(patient_client):
    response = patient_client.post(CAREGIVERS_URL, {"name": "Robin"}, format="json")

    body = assert_error(response, 400)
    assert set(body["fields"]) == {"phone", "email"}


def test_a_patient_removes_their_caregiver(patient, patient_client):
    caregiver = CaregiverFactory(patient=patient)

    response = patient_client.delete(f"{CAREGIVERS_URL}{caregiver.pk}/")

    assert response.status_code == 204
    assert not Caregiver.objects.filter(pk=caregiver.pk).exists()


def test_another_patients_caregiver_answers_404(patient_client):
    caregiver = CaregiverFactory()

    assert_error(patient_client.delete(f"{CAREGIVERS_URL}{caregiver.pk}/"), 404)
    assert Caregiver.objects.filter(pk=caregiver.pk).exists()


def test_only_patients_have_caregivers(specialist_client):
    assert_error(specialist_client.get(CAREGIVERS_URL), 403)
