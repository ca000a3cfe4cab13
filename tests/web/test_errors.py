"""Pages' errors are pages in the site's look; the API's stay in the error shape."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from config.urls import handler403
from core.api.errors import handler403 as api_handler403

pytestmark = pytest.mark.django_db


def test_an_unknown_page_is_a_404_page_in_the_layout(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "Page not found" in body and "Skip to main content" in body


def test_an_unknown_api_path_stays_json(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_a_hostile_host_on_a_page_is_a_400_page(client):
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "Bad request" in response.content.decode()


def test_a_page_refused_is_a_403_page_and_the_api_keeps_its_shape():
    assert handler403 == "core.api.errors.handler403"
    page = RequestFactory().get("/visits/1/")
    from django.contrib.auth.models import AnonymousUser

    page.user = AnonymousUser()
    response = api_handler403(page, PermissionDenied())
    assert response.status_code == 403 and b"Not allowed" in response.content
    api = RequestFactory().get("/api/v1/bookings/")
    assert b'"permission_denied"' in api_handler403(api, PermissionDenied()).content
