"""The API-wide error contract, as the tests under tests/api/ check it: malformed and hostile
requests each answer a clear 4xx in the error shape of API.md, never a 5xx, and write nothing.

Each write endpoint is called as the role allowed to call it, with a body that is valid but for
one bad value, so a 400 can only come from that value. Nothing written is proved by comparing
every row of the apps' tables before and after. Clients do not raise a view's exception: a bug
is observed as the 500 a user would see.

This module holds what those tests share: the table of write endpoints, how a request is sent,
what an error must look like, and the snapshot of the database. The world the requests run in
is the `world` fixture of tests/api/conftest.py.
"""

from __future__ import annotations

import json
from typing import Any

from django.apps import apps
from django.db import connection
from rest_framework.test import APIClient

from tests.conftest import client_for

# Every write endpoint: (method, path under /api/v1/, the role allowed to call it).
ENDPOINTS = {
    "register": ("POST", "auth/register/", "anon"),
    "token": ("POST", "auth/token/", "anon"),
    "me": ("PATCH", "me/", "patient"),
    "specialist_create": ("POST", "specialists/", "admin"),
    "specialist_update": ("PATCH", "specialists/{specialist}/", "admin"),
    "visit_type_create": ("POST", "visit-types/", "admin"),
    "rule_create": ("POST", "availability-rules/", "specialist"),
    "rule_update": ("PATCH", "availability-rules/{rule}/", "specialist"),
    "rule_delete": ("DELETE", "availability-rules/{rule}/", "specialist"),
    "time_off_create": ("POST", "time-off/", "specialist"),
    "time_off_delete": ("DELETE", "time-off/{time_off}/", "specialist"),
    "slot_create": ("POST", "slots/", "specialist"),
    "slot_delete": ("DELETE", "slots/{slot}/", "specialist"),
    "booking_create": ("POST", "bookings/", "patient"),
    "cancel": ("POST", "bookings/{booking}/cancel/", "patient"),
    "reschedule": ("POST", "bookings/{booking}/reschedule/", "patient"),
    "complete": ("POST", "bookings/{booking}/complete/", "specialist"),
    "no_show": ("POST", "bookings/{booking}/no-show/", "specialist"),
    "caregiver_create": ("POST", "me/caregivers/", "patient"),
    "caregiver_delete": ("DELETE", "me/caregivers/{caregiver}/", "patient"),
    "waitlist_join": ("POST", "waitlist/", "patient"),
    "waitlist_leave": ("DELETE", "waitlist/{entry}/", "patient"),
}
WITH_BODY = [name for name, (method, _, _) in ENDPOINTS.items() if method in ("POST", "PATCH")]
# Endpoints whose body is a JSON object of fields (complete and no-show take none).
WITH_FIELDS = [name for name in WITH_BODY if name not in ("complete", "no_show")]
WITH_ID = [name for name, (_, path, _) in ENDPOINTS.items() if "{" in path]


def new_client(user: Any = None) -> APIClient:
    """A client for `user` (anonymous without one) that answers a view's exception with the 500
    a user would see instead of raising it."""
    client = client_for(user) if user is not None else APIClient()
    client.raise_request_exception = False
    return client


def send(client: APIClient, method: str, url: str, body: Any = None, **kwargs: Any) -> Any:
    """Send `body` as JSON. `json.dumps` escapes lone surrogates (`\\ud800`), as a client would."""
    return client.generic(method, url, json.dumps(body), content_type="application/json", **kwargs)


def send_raw(
    client: APIClient, method: str, url: str, raw: bytes | str, content_type: str = "application/json"
) -> Any:
    return client.generic(method, url, raw, content_type=content_type)


def database() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the project's tables (the audit trail and tokens too), to prove a request wrote
    nothing."""
    tables = set(connection.introspection.table_names())
    state = {}
    for label in ("core", "clinic", "scheduling", "notifications", "knox"):
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.db_table in tables:
                state[model._meta.label] = list(model.objects.order_by("pk").values_list())
    return state


def assert_error(response: Any, status: int | None = None) -> dict[str, Any]:
    """A 4xx (the given one, if any) with a JSON body of the error shape."""
    assert response.status_code < 500, response.content[:500]
    assert 400 <= response.status_code < 500, response.content[:500]
    if status is not None:
        assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body, dict)
    assert isinstance(body.get("detail"), str) and body["detail"]
    assert isinstance(body.get("code"), str) and body["code"]
    if "fields" in body:
        assert isinstance(body["fields"], dict)
        for name, messages in body["fields"].items():
            assert isinstance(name, str)
            assert isinstance(messages, list) and all(isinstance(m, str) for m in messages)
    return body


def names(body: dict[str, Any], field: str) -> bool:
    """The error names `field` (or a part of it, like `licenses.0.state`)."""
    return any(key == field or key.startswith(f"{field}.") for key in body.get("fields", {}))
