"""System checks: what this project needs of its environment, said at start-up, not at the
first booking."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

SQLITE = "django.db.backends.sqlite3"
SQLITE_RETURNING = (3, 35, 0)  # INSERT and UPDATE ... RETURNING, which the booking path uses


def sqlite_refusals(engines: Iterable[str], version: tuple[int, ...]) -> list[CheckMessage]:
    """The booking path's statements return rows from INSERT and UPDATE (core.rows.insert_one,
    the claim in scheduling.sql): SQLite learnt that in 3.35, and Django 5.2 still runs on
    3.31."""
    if SQLITE not in set(engines) or version >= SQLITE_RETURNING:
        return []
    found = ".".join(map(str, version))
    return [
        Error(
            f"SQLite {found} is too old: this project needs 3.35 or later (INSERT and UPDATE ... RETURNING).",
            hint="Use a Python built against a newer SQLite, or PostgreSQL (DATABASE_URL).",
            id="core.E001",
        )
    ]


def sqlite_version(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    engines = (db["ENGINE"] for db in settings.DATABASES.values())
    return sqlite_refusals(engines, sqlite3.sqlite_version_info)


def console_backends(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """`check --deploy`: the console backends print every message, phone numbers and join links
    included, into the logs (ENVIRONMENT=production refuses to start with them)."""
    printing = [
        name
        for name, value, console in (
            ("SMS_BACKEND", settings.SMS_BACKEND, "console"),
            ("EMAIL_BACKEND", settings.EMAIL_BACKEND, "django.core.mail.backends.console.EmailBackend"),
        )
        if value == console
    ]
    if not printing:
        return []
    return [
        Warning(
            f"{' and '.join(printing)} print every message into the logs.",
            hint="Set SMS_BACKEND=twilio and an SMTP EMAIL_BACKEND.",
            id="core.W001",
        )
    ]


def https_redirect(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """`check --deploy`, in place of Django's security.W008: plain HTTP must be redirected by
    someone. Behind a TLS proxy (TRUSTED_PROXIES > 0) the proxy does, as it should (the app
    would see every request as HTTP if the proxy did not say otherwise); with no proxy,
    SECURE_SSL_REDIRECT must."""
    if settings.SECURE_SSL_REDIRECT or settings.TRUSTED_PROXIES > 0:
        return []
    return [
        Warning(
            "Nothing redirects plain HTTP to HTTPS: SECURE_SSL_REDIRECT is off and no proxy is declared.",
            hint="Behind a TLS proxy that redirects, set TRUSTED_PROXIES to the number of proxies; "
            "serving TLS without one, set SECURE_SSL_REDIRECT=true.",
            id="core.W002",
        )
    ]
