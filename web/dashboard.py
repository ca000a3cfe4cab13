"""The reminder queue's dashboard at `/admin/queue/`: a server-rendered page in the Django admin.

It shows what `admin/notifications/stats/` answers, a chart of sent and failed per hour, the
oldest overdue messages and the latest failures, with a button to cancel or retry each. The
chart is SVG drawn on the server by pygal, with its scripts and styles stripped: the page loads
nothing but the admin's own CSS and this page's stylesheets (`web/static/web/`), so no
JavaScript is vendored, built, or fetched from a CDN, and nothing inline needs a Content
Security Policy's 'unsafe-inline'. It refreshes itself with a `<meta>` tag, so an operator can
watch the queue move.

Every view here is mounted through `admin.site.admin_view` (active staff only, anonymous users
sent to the admin login, CSRF on the buttons), and asks for the Django permissions the admin's own
pages of notifications ask for: the page `notifications.view_notification`, its buttons
`notifications.change_notification` (shown only to who may press them). Being staff gives
neither. Recipients are masked as in the API: no phone number or email address is ever on the page.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pygal
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from pygal.style import Style

from clinic.models import User
from core.errors import DomainError
from notifications import selectors
from notifications.models import Notification
from notifications.privacy import mask_contacts, mask_recipient
from notifications.selectors import HourCount
from notifications.services import steering
from scheduling import selectors as scheduling_selectors

Status = Notification.Status

REFRESH_SECONDS = 10
# The dispatcher runs every DISPATCH_INTERVAL_SECONDS; missing this many runs in a row means
# beat or every worker is down, not one slow tick.
LATE_AFTER_INTERVALS = 3
LATEST = 10
# What the admin's notification pages ask for: seeing the queue, and steering it.
VIEW = "notifications.view_notification"
STEER = "notifications.change_notification"


@dataclass(frozen=True)
class Row:
    """One notification as the page shows it: never the recipient in full."""

    pk: int
    booking_id: int | None
    kind: str
    channel: str
    recipient: str
    send_at: dt.datetime
    status: str
    attempts: int
    error_code: str
    last_error: str
    admin_url: str
    cancellable: bool
    retryable: bool


def _row(notification: Notification) -> Row:
    return Row(
        pk=notification.pk,
        booking_id=notification.booking_id,
        kind=notification.get_kind_display(),
        channel=notification.channel,
        recipient=mask_recipient(notification.recipient),
        send_at=notification.send_at,
        status=notification.status,
        attempts=notification.attempts,
        error_code=notification.error_code,
        last_error=mask_contacts(notification.last_error),
        admin_url=reverse("admin:notifications_notification_change", args=[notification.pk]),
        cancellable=notification.status in steering.CANCELLABLE,
        retryable=steering.retry_could_send(notification),
    )


def human_duration(seconds: float) -> str:
    """`42 s`, `3 min 20 s`, `2 h 5 min`, `3 d 4 h`: as precise as a person reading it needs."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    if whole < 86400:
        return f"{whole // 3600} h {whole % 3600 // 60} min"
    return f"{whole // 86400} d {whole % 86400 // 3600} h"


# Where the chart sits on the page (queue.html): its stylesheet is scoped to it.
CHART_SCOPE = "#queue-chart svg"
_PYGAL_SCOPE = re.compile(r"#chart-[0-9a-f-]{36}")


def _static_only(root: Any) -> Any:
    """Nothing inline, so the page holds under a Content Security Policy without
    'unsafe-inline': pygal writes a `<script>` of its config even with no script files, its CSS
    as a `<style>`, and a `style` attribute on the tooltip (which needs pygal's JS anyway). The
    CSS is served as a static file instead (`chart_stylesheet`)."""
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] in ("script", "style"):
                parent.remove(child)
    for element in root.iter():
        for name in [name for name in element.attrib if name == "style" or name.startswith("on")]:
            del element.attrib[name]
    return root


CHART_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    colors=("#417690", "#ba2121"),  # the admin's blue for sent, its error red for failed
    font_family="-apple-system, 'Segoe UI', system-ui, Roboto, sans-serif",
    value_font_size=10,
    legend_font_size=12,
    title_font_size=12,
)


def _whole_ticks(top: int) -> list[int]:
    """Ticks at 1, 2 or 5 times a power of ten, about five of them: messages come whole, and
    pygal's own ticks for a top of 1 would read 0.1, 0.2, ..."""
    steps = (factor * 10**power for power in itertools.count() for factor in (1, 2, 5))
    step = next(step for step in steps if step * 5 >= top)
    last = max(-(-top // step), 1) * step
    return list(range(0, last + 1, step))


LABEL_EVERY = 3


def _bar_chart(series: list[HourCount]) -> pygal.Bar:
    chart = pygal.Bar(
        style=CHART_STYLE,
        js=[],
        disable_xml_declaration=True,
        width=960,
        height=300,
        legend_at_bottom=True,
        x_title=gettext("hour (UTC)"),
        show_minor_x_labels=False,
        print_values=True,
        print_zeroes=False,
    )
    chart.x_labels = [f"{point.hour:%H}:00" for point in series]
    # Every third hour is labelled, counted back from the last bar: the current hour, the one an
    # operator looks at first. (pygal's `x_labels_major_every` counts from the first bar, so with
    # 24 bars the current hour went unlabelled.)
    chart.x_labels_major = chart.x_labels[::-1][::LABEL_EVERY]
    chart.y_labels = _whole_ticks(max((max(point.sent, point.failed) for point in series), default=0))
    chart.add(gettext("sent"), [point.sent for point in series])
    chart.add(gettext("failed"), [point.failed for point in series])
    return chart


def hourly_chart(series: list[HourCount]) -> str:
    """Sent and failed per hour as an inline SVG string (no XML declaration, no script, no style:
    `chart_stylesheet` styles it)."""
    chart = _bar_chart(series)
    chart.add_xml_filter(_static_only)
    return mark_safe(chart.render(is_unicode=True))  # pygal escapes the text it writes


def chart_stylesheet() -> str:
    """The CSS pygal would write inside the chart, scoped to where the page puts it rather than
    to one drawing's random id: `web/static/web/queue-chart.css` is this text, so a change of
    `CHART_STYLE` or of pygal shows in the tests until the file is written again."""
    tree = _bar_chart([]).render_tree()
    css = next(el.text for el in tree.iter() if isinstance(el.tag, str) and el.tag.endswith("style"))
    header = "/* The queue chart's CSS as pygal writes it (web.dashboard.chart_stylesheet): do not edit. */"
    return f"{header}\n{_PYGAL_SCOPE.sub(CHART_SCOPE, css).strip()}\n"


def _dispatcher(last_run: dt.datetime | None, now: dt.datetime) -> dict[str, Any]:
    if last_run is None:
        return {"age": None, "late": True}
    age = max((now - last_run).total_seconds(), 0)
    return {
        "age": human_duration(age),
        "late": age > LATE_AFTER_INTERVALS * settings.DISPATCH_INTERVAL_SECONDS,
    }


def _counts_table(counts: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    return [
        {
            "channel": channel,
            "cells": [counts[channel][status] for status in Status.values],
            "total": sum(counts[channel].values()),
        }
        for channel in Notification.Channel.values
    ]


@permission_required(VIEW, raise_exception=True)
def queue_dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    stats = selectors.notification_stats(now=now)
    context = {
        **admin.site.each_context(request),
        "title": gettext("Reminder queue"),
        "can_steer": request.user.has_perm(STEER),
        "refresh_seconds": REFRESH_SECONDS,
        "stats": stats,
        "oldest_overdue": (
            human_duration(stats.oldest_overdue_seconds) if stats.oldest_overdue_seconds is not None else None
        ),
        "dispatcher": _dispatcher(stats.dispatcher_last_run, now),
        "dispatch_interval": settings.DISPATCH_INTERVAL_SECONDS,
        "statuses": Status.values,
        "counts": _counts_table(stats.counts),
        "chart": hourly_chart(selectors.notification_hourly(now=now)),
        "overdue": [_row(n) for n in selectors.notifications_overdue(now=now)],
        "failed": [_row(n) for n in selectors.notifications_failed_recent()],
        "latest": [
            _row(n)
            for n in selectors.notification_list(ordering="-created_at").select_related("booking")[:LATEST]
        ],
        # The waitlist beside the messages that fill it: who waits, and the latest offers.
        "waitlist": scheduling_selectors.waitlist_counts(),
        "offers": list(scheduling_selectors.offer_list().select_related("slot")[:LATEST]),
    }
    return TemplateResponse(request, "admin/queue/queue.html", context)


def _steer(
    request: HttpRequest, pk: int, service: Callable[..., Notification], done: str
) -> HttpResponseRedirect:
    """Call one steering service and come back to the dashboard with what happened (`done`, a
    translated sentence about `%(notification)s`, which may name `%(seconds)s`, the dispatch
    interval): a refused
    transition (already retried, already sent) or an unknown id is a message, never an error page."""
    user = request.user
    assert isinstance(user, User)  # admin_view let only an active staff user through
    try:
        notification = service(notification_id=pk, by=user)
    except DomainError as exc:
        messages.error(request, gettext("Notification %(id)s: %(detail)s") % {"id": pk, "detail": exc.detail})
    else:
        named = gettext("Notification %(id)s (%(kind)s, %(channel)s)") % {
            "id": pk,
            "kind": notification.get_kind_display(),
            "channel": notification.channel,
        }
        messages.success(
            request, done % {"notification": named, "seconds": settings.DISPATCH_INTERVAL_SECONDS}
        )
    return redirect("admin-queue")


@require_POST
@permission_required(STEER, raise_exception=True)
def queue_retry(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    return _steer(
        request,
        pk,
        steering.notification_retry,
        gettext(
            "%(notification)s is pending again, due now: the dispatcher picks it up within %(seconds)s s."
        ),
    )


@require_POST
@permission_required(STEER, raise_exception=True)
def queue_cancel(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    return _steer(
        request,
        pk,
        steering.notification_cancel,
        gettext("%(notification)s is cancelled: it will not be sent."),
    )
