"""The accounts pages through Django's test client: sign-up's rules (the API's), its errors
beside their fields, sign-in and its lockout, sign-out, password reset, and every malformed
request answering 4xx."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin
from django.core import mail
from django.test import RequestFactory

from clinic.models import Patient, User
from tests.factories import PASSWORD, PatientFactory, SpecialistFactory, UserFactory
from web.context import viewer_timezone
from web.templatetags.clinic_time import local, local_day, local_time, zone_name

pytestmark = pytest.mark.django_db

SIGNUP = {
    "first_name": "Ada",
    "last_name": "Byron",
    "email": "Ada@Example.com",
    "password": "a-long-Passphrase-7",
    "phone": "+12125550199",
    "state": "NY",
    "timezone": "America/Chicago",
    "email_opt_in": "on",
}


def _field_errors(response, name):
    return response.context["form"].errors.get(name, [])


def test_the_pages_answer(client):
    for path in ("/", "/accounts/login/", "/signup/", "/accounts/password-reset/", "/find/"):
        assert client.get(path).status_code == 200, path


def test_signup_makes_a_patient_signs_them_in_and_lands_home(client):
    response = client.post("/signup/", SIGNUP)
    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(email="ada@example.com")
    patient = Patient.objects.get(user=user)
    assert (patient.state, str(patient.timezone), patient.sms_opt_in, patient.email_opt_in) == (
        "NY",
        "America/Chicago",
        False,
        True,
    )
    assert int(client.session["_auth_user_id"]) == user.pk
    assert "Welcome, Ada" in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "212-555", "phone number"),
        ("state", "ZZ", "not a valid choice"),
        ("timezone", "../../etc/passwd", "valid"),
        ("email", "not-an-email", "valid email"),
        ("password", "12345678", "too common"),
        ("first_name", "Ada\x00", "Null characters"),
    ],
)
def test_signup_errors_sit_beside_their_field(client, field, value, message):
    response = client.post("/signup/", {**SIGNUP, field: value})
    assert response.status_code == 400
    errors = " ".join(_field_errors(response, field))
    assert message.lower() in errors.lower(), errors
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not User.objects.filter(email="ada@example.com").exists()


def test_signup_with_a_taken_email_says_so_beside_the_email(client):
    UserFactory(email="ada@example.com")
    response = client.post("/signup/", SIGNUP)
    assert response.status_code == 400
    assert _field_errors(response, "email") == ["Already registered."]


def test_signup_with_nothing_or_garbage_is_a_400_with_the_form(client):
    assert client.post("/signup/", {}).status_code == 400
    response = client.post("/signup/", "\xff\xfe garbage", content_type="application/octet-stream")
    assert response.status_code == 400
    response = client.post("/signup/", {**SIGNUP, "email": "a" * 300 + "@example.com"})
    assert response.status_code == 400 and _field_errors(response, "email")


def test_signup_refuses_other_methods(client):
    assert client.put("/signup/").status_code == 405


def test_signup_is_csrf_checked(client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/signup/", SIGNUP).status_code == 403


def test_sign_in_and_out(client):
    user = PatientFactory().user
    response = client.post("/accounts/login/", {"username": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/logout-check/").status_code == 404  # unknown pages are 404s
    assert client.get("/accounts/logout/").status_code == 405  # sign-out is a POST
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_is_a_400_with_the_form(client):
    user = PatientFactory().user
    response = client.post("/accounts/login/", {"username": user.email, "password": "nope"})
    assert response.status_code == 400
    assert "correct email and password" in response.content.decode()
    assert client.post("/accounts/login/", {"username": "x\x00", "password": "y"}).status_code == 400
    assert client.post("/accounts/login/", {}).status_code == 400


def test_sign_in_follows_a_local_next_only(client):
    user = PatientFactory().user
    data = {"username": user.email, "password": PASSWORD}
    assert client.post("/accounts/login/?next=/visits/", data)["Location"] == "/visits/"
    client.post("/accounts/logout/")
    assert client.post("/accounts/login/?next=https://evil.example/", data)["Location"] == "/"


def test_the_lockout_applies_to_the_sign_in_page(client):
    user = PatientFactory().user
    for _ in range(5):
        client.post("/accounts/login/", {"username": user.email, "password": "wrong"})
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_reset_mails_a_link_that_sets_a_new_password(client, settings):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    user = PatientFactory().user
    response = client.post("/accounts/password-reset/", {"email": user.email})
    assert response.status_code == 302 and response["Location"] == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    assert "Neuro Clinic" in mail.outbox[0].subject
    link = re.search(r"http://127.0.0.1:8000(/accounts/reset/\S+)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200 and form.context["validlink"]
    new = {"new_password1": "another-Passphrase-9", "new_password2": "another-Passphrase-9"}
    response = client.post(form.redirect_chain[-1][0], new)
    assert response["Location"] == "/accounts/reset/done/"
    user.refresh_from_db()
    assert user.check_password("another-Passphrase-9")


def test_password_reset_of_an_unknown_email_says_the_same_and_sends_nothing(client):
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []
    assert client.post("/accounts/password-reset/", {"email": "not an email"}).status_code == 400


def test_a_forged_reset_link_says_it_is_not_valid(client):
    response = client.get("/accounts/reset/MQ/forged-token/")
    assert response.status_code == 200 and "not valid" in response.content.decode()


def test_the_admins_view_site_is_the_home_page():
    assert admin.site.site_url == "/"


def test_times_are_shown_in_the_zone_with_its_name():
    moment = dt.datetime(2026, 12, 7, 14, 0, tzinfo=dt.UTC)
    new_york = ZoneInfo("America/New_York")
    assert local(moment, new_york) == "Mon 7 Dec, 9:00 AM EST"
    assert (
        local(dt.datetime(2026, 7, 6, 16, 30, tzinfo=dt.UTC), "America/New_York") == "Mon 6 Jul, 12:30 PM EDT"
    )
    assert local_day(moment, new_york) == "Mon 7 Dec"
    assert local_time(moment, "America/Los_Angeles") == "6:00 AM PST"
    # A zone without a letters abbreviation is named by its IANA name.
    assert local_time(moment, "Asia/Dubai") == "6:00 PM Asia/Dubai time"
    assert local(None, new_york) == ""
    assert zone_name(new_york) == "America/New_York"


def test_times_read_in_spanish_on_a_spanish_page():
    from django.utils import translation

    moment = dt.datetime(2026, 12, 5, 14, 0, tzinfo=dt.UTC)  # a Saturday
    with translation.override("es"):
        assert local(moment, "America/New_York") == "sáb 5 dic, 9:00 EST"
        assert local_time(moment, "Asia/Dubai") == "18:00 hora de Asia/Dubai"


def test_the_viewers_zone_is_their_profiles_else_the_clinics(settings):
    settings.CLINIC_TIMEZONE = "America/Denver"
    request = RequestFactory().get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    assert viewer_timezone(request).key == "America/Denver"
    request.user = PatientFactory(timezone=ZoneInfo("America/Chicago")).user
    assert viewer_timezone(request).key == "America/Chicago"
    request.user = SpecialistFactory(timezone=ZoneInfo("America/Los_Angeles")).user
    assert viewer_timezone(request).key == "America/Los_Angeles"


def _rates(monkeypatch, **rates):
    from rest_framework.throttling import SimpleRateThrottle

    base = {scope: "10000/s" for scope in ("anon", "user", "auth", "account", "register")}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**base, **rates})


def test_sign_ins_count_against_the_apis_per_account_limit(client, monkeypatch):
    _rates(monkeypatch, account="2/hour")
    user = PatientFactory().user
    for _ in range(2):
        client.post("/accounts/login/", {"username": user.email, "password": "wrong"})
    response = client.post("/accounts/login/", {"username": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_ups_count_against_the_apis_registration_limit(client, monkeypatch):
    _rates(monkeypatch, register="1/hour")
    assert client.post("/signup/", SIGNUP).status_code == 302
    client.post("/accounts/logout/")
    response = client.post("/signup/", {**SIGNUP, "email": "other@example.com"})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert not User.objects.filter(email="other@example.com").exists()


def test_the_reset_link_is_on_the_public_url_not_the_requests_host(client, settings):
    settings.PUBLIC_BASE_URL = "https://clinic.example.org"
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]
    user = PatientFactory().user
    client.post("/accounts/password-reset/", {"email": user.email}, HTTP_HOST="evil.example")
    assert "https://clinic.example.org/accounts/reset/" in mail.outbox[0].body
    assert "evil.example" not in mail.outbox[0].body


def test_password_reset_requests_are_throttled_per_address(client, monkeypatch):
    _rates(monkeypatch, auth="1/min")
    client.post("/accounts/password-reset/", {"email": "a@example.com"})
    response = client.post("/accounts/password-reset/", {"email": "a@example.com"})
    assert response.status_code == 429
