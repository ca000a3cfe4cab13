"""Token authentication answers as DRF's own does: the token's user, or 401 with the error shape."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from clinic.authentication import TokenAuthentication
from clinic.models import User
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_authenticates_as_its_user():
    patient = PatientFactory()
    token = Token.objects.create(user=patient.user)
    Token.objects.create(user=PatientFactory().user)  # another user's token must not match

    response = with_token(token.key).get("/api/v1/me/")
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["email"]) == (patient.user.pk, patient.user.email)


def test_an_unknown_token_answers_401_with_the_error_shape():
    response = with_token("0" * 40).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token.", "code": "authentication_failed"}


def test_the_token_of_a_deactivated_user_answers_401():
    patient = PatientFactory()
    token = Token.objects.create(user=patient.user)
    patient.user.is_active = False
    patient.user.save()

    response = with_token(token.key).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json() == {"detail": "User inactive or deleted.", "code": "authentication_failed"}


def test_the_user_read_with_the_token_is_the_user_the_orm_reads():
    patient = PatientFactory()
    token = Token.objects.create(user=patient.user)

    user, auth = TokenAuthentication().authenticate_credentials(token.key)

    loaded = User.objects.get(pk=patient.pk)
    assert [getattr(user, f.attname) for f in User._meta.concrete_fields] == [
        getattr(loaded, f.attname) for f in User._meta.concrete_fields
    ]
    assert auth.key == token.key
