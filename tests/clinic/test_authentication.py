"""Token authentication answers as knox's own does (the token's user, or 401 with the error
shape), from tokens stored as digests, in one statement per request."""

import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient, APIRequestFactory

from clinic.authentication import TokenAuthentication
from clinic.models import User
from tests.conftest import token_for
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_authenticates_as_its_user():
    patient = PatientFactory()
    token = token_for(patient.user)
    token_for(PatientFactory().user)  # another user's token must not match

    response = with_token(token).get("/api/v1/me/")
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["email"]) == (patient.user.pk, patient.user.email)


def test_a_token_is_stored_as_its_digest_only():
    token = token_for(PatientFactory().user)

    row = AuthToken.objects.values().get()
    assert row["digest"] == hashlib.sha512(token.encode()).hexdigest()
    assert all(token not in str(value) for value in row.values())


def test_an_unknown_token_answers_401_with_the_error_shape():
    response = with_token("0" * 64).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token.", "code": "authentication_failed"}


def test_a_token_with_a_known_key_but_a_wrong_rest_answers_401():
    token = token_for(PatientFactory().user)

    response = with_token(token[:15] + "0" * 49).get("/api/v1/me/")
    assert response.status_code == 401


def test_the_token_of_a_deactivated_user_answers_401():
    patient = PatientFactory()
    token = token_for(patient.user)
    patient.user.is_active = False
    patient.user.save()

    response = with_token(token).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json() == {"detail": "User inactive or deleted.", "code": "authentication_failed"}


def test_the_user_read_with_the_token_is_the_user_the_orm_reads():
    patient = PatientFactory()
    token = token_for(patient.user)

    user, auth = TokenAuthentication().authenticate_credentials(token.encode())

    loaded = User.objects.get(pk=patient.pk)
    assert [getattr(user, f.attname) for f in User._meta.concrete_fields] == [
        getattr(loaded, f.attname) for f in User._meta.concrete_fields
    ]
    assert auth == AuthToken.objects.get() and auth.user is user


def test_authenticating_a_request_takes_one_statement():
    patient = PatientFactory()
    token = token_for(patient.user)
    token_for(patient.user)  # the user's other tokens are not read
    request = APIRequestFactory().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")

    with CaptureQueriesContext(connection) as queries:
        user, _ = TokenAuthentication().authenticate(request)

    assert user.pk == patient.user.pk
    assert len(queries) == 1, [q["sql"] for q in queries]


@pytest.mark.parametrize("key", ["caf\u00e9", "a\u0000b" * 10, "0" * 15 + "\u0000" * 49, "x" * 5000])
def test_a_malformed_token_answers_401_not_500(key):
    client = with_token(key)
    client.raise_request_exception = False

    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
