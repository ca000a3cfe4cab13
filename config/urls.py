"""URL map: the API under /api/v1/, schema and docs, admin (with the queue dashboard), health probes."""

from collections.abc import Iterable

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.decorators.common import no_append_slash
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from clinic import api as clinic_api
from config import health
from notifications import api as notifications_api
from notifications import dashboard
from scheduling import api as scheduling_api

# The admin's index links to the queue dashboard (the template adds one box above the app list).
admin.site.index_template = "admin/notifications/index.html"

# Django tries a path's patterns in order, and every one it passes costs the request a regex and
# an entry in its list of patterns tried: the hottest endpoints (search, booking) come first, and
# DRF's `.json`-style format-suffix twin of every route (not part of the contract) is left out.
router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.include_format_suffixes = False
router.register("slots", scheduling_api.SlotViewSet, basename="slot")
router.register("bookings", scheduling_api.BookingViewSet, basename="booking")
router.register("specialties", clinic_api.SpecialtyViewSet, basename="specialty")
router.register("visit-types", clinic_api.VisitTypeViewSet, basename="visit-type")
router.register("specialists", clinic_api.SpecialistViewSet, basename="specialist")
router.register("availability-rules", scheduling_api.AvailabilityRuleViewSet, basename="availability-rule")
router.register("time-off", scheduling_api.TimeOffViewSet, basename="time-off")
router.register("admin/notifications", notifications_api.NotificationViewSet, basename="admin-notification")
router.register("admin/audit", clinic_api.AuditEventViewSet, basename="admin-audit")


def _exact(patterns: Iterable[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    """No APPEND_SLASH redirect under /api/: a path without its slash answers the JSON 404.

    The redirect is a 301 that a client follows as a GET, so `POST bookings` would come back
    200 with the list of bookings and no booking made (and with DEBUG on, Django raises
    instead of redirecting a POST).
    """
    patterns = list(patterns)
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = no_append_slash(pattern.callback)
    return patterns


api_v1 = [
    *router.urls,
    path("auth/register/", clinic_api.RegisterView.as_view(), name="register"),
    path("auth/token/", clinic_api.TokenView.as_view(), name="token"),
    path("me/", notifications_api.MeView.as_view(), name="me"),
    path(
        "bookings/<int:pk>/calendar.ics",
        scheduling_api.BookingCalendarView.as_view(),
        name="booking-calendar",
    ),
    path("visits/join/<str:token>/", scheduling_api.VisitJoinView.as_view(), name="visit-join"),
    path("webhooks/twilio/status/", notifications_api.TwilioStatusView.as_view(), name="twilio-status"),
    path("webhooks/twilio/inbound/", notifications_api.TwilioInboundView.as_view(), name="twilio-inbound"),
]

urlpatterns = [
    path("api/v1/", include(_exact(api_v1))),
    *_exact(
        [
            path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
            path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
        ]
    ),
    # The join link patients tap in a reminder: short enough for one SMS segment.
    path("v/<str:token>", scheduling_api.VisitJoinView.as_view(), name="visit-join-short"),
    # The queue dashboard lives in the admin's look and login, before the admin's own URLs (whose
    # catch-all would take it); admin_view lets only active staff in and sends the rest to log in.
    path("admin/queue/", admin.site.admin_view(dashboard.queue_dashboard), name="admin-queue"),
    path(
        "admin/queue/<int:pk>/retry/", admin.site.admin_view(dashboard.queue_retry), name="admin-queue-retry"
    ),
    path(
        "admin/queue/<int:pk>/cancel/",
        admin.site.admin_view(dashboard.queue_cancel),
        name="admin-queue-cancel",
    ),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]

handler400 = "config.exceptions.handler400"
handler403 = "config.exceptions.handler403"
handler404 = "config.exceptions.handler404"
handler500 = "config.exceptions.handler500"
