"""ENVIRONMENT=production: what a process refuses to start with, and what it turns on."""

from __future__ import annotations

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

KEY = "k" * 64
SENDING = {"SMS_BACKEND": "twilio", "EMAIL_BACKEND": "smtp"}


def test_production_refuses_the_public_secret_key(settings_from_env):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        settings_from_env(ENVIRONMENT="production", **SENDING)
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        settings_from_env(ENVIRONMENT="production", SECRET_KEY="change-me-to-a-long-random-string", **SENDING)


def test_production_refuses_the_console_backends(settings_from_env):
    with pytest.raises(ImproperlyConfigured, match="console"):
        settings_from_env(ENVIRONMENT="production", SECRET_KEY=KEY, SMS_BACKEND="twilio")
    with pytest.raises(ImproperlyConfigured, match="console"):
        settings_from_env(ENVIRONMENT="production", SECRET_KEY=KEY, EMAIL_BACKEND="smtp")


def test_production_turns_on_secure_cookies_and_hsts(settings_from_env):
    production = settings_from_env(ENVIRONMENT="production", SECRET_KEY=KEY, **SENDING)
    assert production.SESSION_COOKIE_SECURE and production.CSRF_COOKIE_SECURE
    assert production.LANGUAGE_COOKIE_SECURE and production.LANGUAGE_COOKIE_HTTPONLY
    assert production.SECURE_HSTS_SECONDS >= 60 * 60 * 24 * 365
    assert production.SECURE_HSTS_INCLUDE_SUBDOMAINS and production.SECURE_HSTS_PRELOAD
    own_subdomains = settings_from_env(
        ENVIRONMENT="production", SECRET_KEY=KEY, SECURE_HSTS_INCLUDE_SUBDOMAINS="false", **SENDING
    )
    assert not own_subdomains.SECURE_HSTS_INCLUDE_SUBDOMAINS
    assert production.SECURE_SSL_REDIRECT is False  # a TLS proxy usually redirects


def test_the_embedded_first_run_keeps_its_defaults(settings_from_env):
    embedded = settings_from_env()
    assert embedded.ENVIRONMENT == "embedded"
    assert not embedded.SESSION_COOKIE_SECURE and embedded.SECURE_HSTS_SECONDS == 0
    assert embedded.SMS_BACKEND == "console"


def test_an_unknown_environment_is_refused(settings_from_env):
    with pytest.raises(ImproperlyConfigured, match="ENVIRONMENT"):
        settings_from_env(ENVIRONMENT="staging")


def test_the_deploy_check_reports_the_console_backends(settings):
    settings.SMS_BACKEND = "console"
    assert "core.W001" in {m.id for m in checks.run_checks(include_deployment_checks=True)}
    settings.SMS_BACKEND = "twilio"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert "core.W001" not in {m.id for m in checks.run_checks(include_deployment_checks=True)}


def test_smtp_is_configured_from_one_url(settings_from_env):
    mail = settings_from_env(
        EMAIL_URL="smtp+tls://clinic%40example.com:p%40ss@smtp.example.com:587", EMAIL_TIMEOUT="7"
    )
    assert mail.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
    assert (mail.EMAIL_HOST, mail.EMAIL_PORT, mail.EMAIL_USE_TLS, mail.EMAIL_USE_SSL) == (
        "smtp.example.com",
        587,
        True,
        False,
    )
    assert (mail.EMAIL_HOST_USER, mail.EMAIL_HOST_PASSWORD, mail.EMAIL_TIMEOUT) == (
        "clinic@example.com",
        "p@ss",
        7,
    )
    implicit = settings_from_env(EMAIL_URL="smtp+ssl://u:p@smtp.example.com:465")
    assert (implicit.EMAIL_PORT, implicit.EMAIL_USE_SSL, implicit.EMAIL_USE_TLS) == (465, True, False)
    production = settings_from_env(
        ENVIRONMENT="production",
        SECRET_KEY=KEY,
        SMS_BACKEND="twilio",
        EMAIL_URL="smtp+tls://u:p@smtp.example.com:587",
    )
    assert production.EMAIL_BACKEND.endswith(".smtp.EmailBackend")  # the URL alone satisfies production
    assert settings_from_env(EMAIL_BACKEND="").EMAIL_BACKEND.endswith(
        ".console.EmailBackend"
    )  # .env.example's


def test_an_email_provider_is_configured_through_anymail(settings_from_env):
    provider = settings_from_env(
        EMAIL_BACKEND="anymail:postmark",
        ANYMAIL_POSTMARK_SERVER_TOKEN="token",
        ANYMAIL_POSTMARK_MESSAGE_STREAM="reminders",
    )
    assert provider.EMAIL_BACKEND == "anymail.backends.postmark.EmailBackend"
    assert provider.ANYMAIL == {"POSTMARK_SERVER_TOKEN": "token", "POSTMARK_MESSAGE_STREAM": "reminders"}
    production = settings_from_env(
        ENVIRONMENT="production",
        SECRET_KEY=KEY,
        SMS_BACKEND="twilio",
        EMAIL_BACKEND="anymail:amazon_ses",
    )
    assert production.EMAIL_BACKEND == "anymail.backends.amazon_ses.EmailBackend"


def test_the_token_lifetime_is_read_in_hours_and_must_be_positive(settings_from_env):
    import datetime as dt

    assert settings_from_env(TOKEN_TTL_HOURS="2").REST_KNOX["TOKEN_TTL"] == dt.timedelta(hours=2)
    assert settings_from_env().REST_KNOX["TOKEN_TTL"] == dt.timedelta(hours=720)
    with pytest.raises(ImproperlyConfigured, match="TOKEN_TTL_HOURS"):
        settings_from_env(TOKEN_TTL_HOURS="0")


def test_the_forwarded_protocol_counts_only_behind_a_trusted_proxy(settings_from_env):
    assert getattr(settings_from_env(), "SECURE_PROXY_SSL_HEADER", None) is None
    proxied = settings_from_env(TRUSTED_PROXIES="1")
    assert proxied.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    assert proxied.REST_FRAMEWORK["NUM_PROXIES"] == 1
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        settings_from_env(TRUSTED_PROXIES="-1")


def test_csrf_trusted_origins_default_to_the_public_base_url(settings_from_env):
    public = settings_from_env(PUBLIC_BASE_URL="https://visits.neuroclinic.example/")
    assert public.CSRF_TRUSTED_ORIGINS == ["https://visits.neuroclinic.example"]
    # An empty line in .env (as .env.example has it) keeps the default.
    empty = settings_from_env(
        PUBLIC_BASE_URL="https://visits.neuroclinic.example:8443", CSRF_TRUSTED_ORIGINS=""
    )
    assert empty.CSRF_TRUSTED_ORIGINS == ["https://visits.neuroclinic.example:8443"]
    chosen = settings_from_env(CSRF_TRUSTED_ORIGINS="https://a.example,https://b.example")
    assert chosen.CSRF_TRUSTED_ORIGINS == ["https://a.example", "https://b.example"]


def test_throttle_rates_off_keeps_the_password_limits_and_pairs_change_them(settings_from_env):
    off = settings_from_env(THROTTLE_RATES="off").REST_FRAMEWORK
    assert off["DEFAULT_THROTTLE_RATES"] == {"auth": "20/min", "account": "10/hour", "register": "20/hour"}
    changed = settings_from_env(THROTTLE_RATES="anon=5/s, auth=100/min").REST_FRAMEWORK
    assert changed["DEFAULT_THROTTLE_RATES"] == {
        "anon": "5/s",
        "auth": "100/min",
        "account": "10/hour",
        "register": "20/hour",
    }
    assert changed["DEFAULT_THROTTLE_CLASSES"][0] == "core.api.throttling.AnonRateThrottle"
    with pytest.raises(ImproperlyConfigured, match="THROTTLE_RATES"):
        settings_from_env(THROTTLE_RATES="auth=fast")


def test_throttle_counters_live_in_the_cache_named_by_cache_url(settings_from_env):
    assert settings_from_env().CACHES["default"]["BACKEND"].endswith(".LocMemCache")
    shared = settings_from_env(CACHE_URL="redis://redis:6379/1").CACHES["default"]
    assert (shared["BACKEND"], shared["LOCATION"]) == (
        "django.core.cache.backends.redis.RedisCache",
        "redis://redis:6379/1",
    )
