"""Video visits: unguessable join links, and what a participant gets to enter the room.

A join token is a signed link's (core.signed_links) whose purpose is the participant. The
VideoVisit row keeps the nonce and each participant's token's SHA-256: a copy of the database
alone opens no visit, and a new nonce revokes the old links.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from core.errors import Forbidden, Gone, NotFound
from core.rows import insert_one
from core.signed_links import link_token, new_nonce, token_hash
from scheduling.models import Booking, VideoVisit
from scheduling.video_providers import video_provider


class Participant(StrEnum):
    PATIENT = "patient"
    SPECIALIST = "specialist"


def rekey(visit: VideoVisit) -> None:
    """Give the visit a fresh nonce: new links, and the old ones stop working."""
    visit.nonce = new_nonce()
    visit.patient_token_sha256 = token_hash(link_token(visit.nonce, Participant.PATIENT))
    visit.specialist_token_sha256 = token_hash(link_token(visit.nonce, Participant.SPECIALIST))


def video_visit_new(*, booking: Booking) -> VideoVisit:
    """The room and the links of a newly confirmed booking, not yet stored (the booking's insert
    stores both: scheduling.services.bookings). A rescheduled visit gets new ones: the old
    booking's links then answer 410."""
    visit = VideoVisit(booking=booking, room=f"visit-{secrets.token_hex(10)}")
    rekey(visit)
    booking.video = visit
    return visit


def video_visit_create(*, booking: Booking) -> VideoVisit:
    """The room and the links of a booking already stored without them."""
    return insert_one(video_visit_new(booking=booking))


def join_url(booking: Booking, participant: Participant) -> str | None:
    visit = getattr(booking, "video", None)
    if visit is None:
        return None
    return join_url_of(visit.nonce, participant)


def join_url_of(nonce: str, participant: Participant) -> str:
    """The link of the visit whose nonce this is (for callers that read the nonce themselves)."""
    # Short, so that a reminder carrying it fits one SMS; /v/{token} answers as
    # /api/v1/visits/join/{token}/ does (see config/urls.py).
    return f"{settings.PUBLIC_BASE_URL}/v/{link_token(nonce, participant)}"


@dataclass(frozen=True)
class JoinWindow:
    opens_at: dt.datetime
    closes_at: dt.datetime


def join_window(booking: Booking) -> JoinWindow:
    return JoinWindow(
        opens_at=booking.slot.start - dt.timedelta(minutes=settings.JOIN_WINDOW_MINUTES),
        closes_at=booking.slot.end,
    )


@dataclass(frozen=True)
class JoinGrant:
    room: str
    identity: str
    access_token: str | None
    url: str | None
    expires_at: dt.datetime


def grant(visit: VideoVisit, participant: Participant) -> JoinGrant:
    """What the participant needs to enter the room, valid until the visit ends."""
    expires_at = join_window(visit.booking).closes_at
    identity = f"{participant}-{visit.booking_id}"
    provider = video_provider()
    return JoinGrant(
        room=visit.room,
        identity=identity,
        access_token=provider.access_token(room=visit.room, identity=identity, expires_at=expires_at),
        url=provider.url(room=visit.room, identity=identity),
        expires_at=expires_at,
    )


class JoinState(StrEnum):
    """Where a visit stands for the holder of its link."""

    TOO_EARLY = "too_early"  # before the window: the room opens JOIN_WINDOW_MINUTES before the start
    OPEN = "open"
    ENDED = "ended"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"  # moved: the new booking has new links

    @property
    def closed(self) -> bool:
        return self in (JoinState.ENDED, JoinState.CANCELLED, JoinState.RESCHEDULED)


@dataclass(frozen=True)
class JoinLink:
    """The visit a join token opens, its participant, and where the visit stands now."""

    visit: VideoVisit
    participant: Participant
    window: JoinWindow
    state: JoinState

    @property
    def booking(self) -> Booking:
        return self.visit.booking


def join_link_get(token: str) -> JoinLink:
    """The visit of a join token (NotFound for none) and its state: the one rule of when a link
    opens the room, for the JSON answer (`visit_join`) and the visit page alike."""
    digest = token_hash(token)
    visit = (
        VideoVisit.objects.select_related("booking__slot__specialist__user", "booking__slot__visit_type")
        .filter(Q(patient_token_sha256=digest) | Q(specialist_token_sha256=digest))
        .first()
    )
    if visit is None:
        raise NotFound("No such visit.")
    participant = Participant.PATIENT if visit.patient_token_sha256 == digest else Participant.SPECIALIST
    booking = visit.booking
    window = join_window(booking)
    now = timezone.now()
    if booking.status == Booking.Status.CANCELLED:
        state = JoinState.CANCELLED
    elif booking.status == Booking.Status.RESCHEDULED:
        state = JoinState.RESCHEDULED
    elif now >= window.closes_at:
        state = JoinState.ENDED
    elif now < window.opens_at:
        state = JoinState.TOO_EARLY
    else:
        state = JoinState.OPEN
    return JoinLink(visit=visit, participant=participant, window=window, state=state)


def visit_join(token: str) -> JoinGrant:
    """Enter a visit with a join token: inside its window only, and only while it is confirmed."""
    link = join_link_get(token)
    if link.state.closed:
        raise Gone("This visit is closed.", code="visit_closed")
    if link.state == JoinState.TOO_EARLY:
        raise Forbidden(
            f"The visit opens {settings.JOIN_WINDOW_MINUTES} minutes before the start.",
            code="too_early",
            opens_at=link.window.opens_at.isoformat().replace("+00:00", "Z"),
        )
    return grant(link.visit, link.participant)
