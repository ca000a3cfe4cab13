"""Video providers, chosen by `VIDEO_PROVIDER` like the SMS backends (core.backends): `url` (a
room URL from `VIDEO_URL_TEMPLATE`, e.g. Jitsi), `twilio` (a Twilio Video access token), or a
dotted path to a class of this interface."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from core.backends import backend_class

VIDEO_PROVIDERS = {
    "url": "scheduling.video_providers.UrlVideoProvider",
    "twilio": "scheduling.video_providers.TwilioVideoProvider",
}


class VideoProvider:
    """What a participant gets to enter a room: an access token or a URL (the other None)."""

    def access_token(self, *, room: str, identity: str, expires_at: dt.datetime) -> str | None:
        return None

    def url(self, *, room: str, identity: str) -> str | None:
        return None


class UrlVideoProvider(VideoProvider):
    def url(self, *, room: str, identity: str) -> str | None:
        return settings.VIDEO_URL_TEMPLATE.format(room=room, identity=identity)


class TwilioVideoProvider(VideoProvider):
    def access_token(self, *, room: str, identity: str, expires_at: dt.datetime) -> str | None:
        from twilio.jwt.access_token import AccessToken
        from twilio.jwt.access_token.grants import VideoGrant

        ttl = max(60, int((expires_at - timezone.now()).total_seconds()))
        token = AccessToken(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_API_KEY_SID,
            settings.TWILIO_API_KEY_SECRET,
            identity=identity,
            ttl=ttl,
            grants=[VideoGrant(room=room)],
        )
        return str(token.to_jwt())


def video_provider() -> VideoProvider:
    provider: VideoProvider = backend_class(settings.VIDEO_PROVIDER, VIDEO_PROVIDERS)()
    return provider
