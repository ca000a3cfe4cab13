"""`core.backends`: a setting names an integration by its short name or by a dotted path."""

from __future__ import annotations

from core.backends import backend_class
from notifications.backends import sms_backend
from notifications.backends.sms import ConsoleSmsBackend, LocmemSmsBackend
from scheduling.video_providers import TwilioVideoProvider, UrlVideoProvider, video_provider


def test_a_short_name_and_its_dotted_path_name_the_same_class():
    names = {"console": "notifications.backends.sms.ConsoleSmsBackend"}
    assert backend_class("console", names) is backend_class(names["console"], names) is ConsoleSmsBackend


def test_the_sms_backend_follows_the_setting(settings):
    settings.SMS_BACKEND = "locmem"
    assert isinstance(sms_backend(), LocmemSmsBackend)
    settings.SMS_BACKEND = "notifications.backends.sms.ConsoleSmsBackend"
    assert isinstance(sms_backend(), ConsoleSmsBackend)


def test_the_video_provider_follows_the_setting(settings):
    settings.VIDEO_PROVIDER = "url"
    assert isinstance(video_provider(), UrlVideoProvider)
    settings.VIDEO_PROVIDER = "twilio"
    assert isinstance(video_provider(), TwilioVideoProvider)
    settings.VIDEO_PROVIDER = "scheduling.video_providers.UrlVideoProvider"
    assert isinstance(video_provider(), UrlVideoProvider)


def test_email_backend_short_names_are_expanded_from_the_environment(settings_from_env):
    assert (
        settings_from_env(EMAIL_BACKEND="smtp").EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
    )
    assert settings_from_env(EMAIL_BACKEND="myapp.mail.Backend").EMAIL_BACKEND == "myapp.mail.Backend"


def test_a_setting_that_names_no_class_is_refused_at_start_up(settings):
    from django.core import checks

    settings.VIDEO_PROVIDER = "jitsi"
    settings.SMS_BACKEND = "notifications.backends.sms.Pigeon"
    assert {message.id for message in checks.run_checks()} >= {"scheduling.E001", "notifications.E001"}
    settings.VIDEO_PROVIDER, settings.SMS_BACKEND = "url", "console"
    assert not [message for message in checks.run_checks() if message.id.endswith(".E001")]
