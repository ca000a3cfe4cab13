"""The visit page: what a join link (`video.join_url`, the short `/v/<token>`) shows a person.

The same link answers machines with the API's JSON (`Accept: application/json`, or no Accept at
all); a browser, which asks for HTML first, gets the page. Both read the link through
`video.join_link_get`, the one rule of when a link opens the room: before the window the page
says when it opens (200), during it the room, after the end or a cancellation 410.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.vary import vary_on_headers

from core.csp import TWILIO_VIDEO
from core.errors import NotFound
from scheduling import video
from scheduling.api.schedule import VisitJoinView

_join_json = VisitJoinView.as_view()


# The page opens the visit to whoever holds the link: no browser or proxy keeps a copy. One URL,
# two representations: caches must key on Accept. Exempt from CSRF as the API's view is: nothing
# here changes state, and another method gets the API's 405.
@csrf_exempt
@never_cache
@vary_on_headers("Accept")
def join_link(request: HttpRequest, token: str) -> HttpResponse:
    """`/v/<token>`: the visit page for a browser, the API's JSON for a machine."""
    page = request.method in ("GET", "HEAD")
    if page and request.get_preferred_type(["application/json", "text/html"]) == "text/html":
        return visit_page(request, token)
    response: HttpResponse = _join_json(request, token=token)
    return response


def visit_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = video.join_link_get(token)
    except NotFound:
        return render(request, "web/visit/not_found.html", status=404)
    room = video.grant(link.visit, link.participant) if link.state == video.JoinState.OPEN else None
    context = {
        "link": link,
        "booking": link.booking,
        "slot": link.booking.slot,
        "state": link.state.value,
        "is_specialist": link.participant == video.Participant.SPECIALIST,
        "room": room,
        "window_minutes": settings.JOIN_WINDOW_MINUTES,
        # Named on the button, so that a person knows where the link takes them.
        "room_host": urlsplit(room.url).hostname if room and room.url else None,
    }
    response = render(request, "web/visit/page.html", context, status=410 if link.state.closed else 200)
    if room and room.access_token:
        # django-csp's per-response addition, as its csp_update decorator sets it.
        response._csp_update = TWILIO_VIDEO  # type: ignore[attr-defined]
    return response
