"""The REST API's URL map (mounted under /api/v1/ by config.urls): every app's endpoints and
the cross-app ones (`me/`, the audit trail) in one router."""

from collections.abc import Iterable

from django.urls import URLPattern, URLResolver, path
from django.views.decorators.common import no_append_slash
from rest_framework.routers import DefaultRouter

from api import audit, me
from clinic import api as clinic_api
from notifications import api as notifications_api
from scheduling import api as scheduling_api

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
router.register("waitlist", scheduling_api.WaitlistViewSet, basename="waitlist")
router.register("admin/offers", scheduling_api.AdminOfferViewSet, basename="admin-offer")
router.register("admin/notifications", notifications_api.NotificationViewSet, basename="admin-notification")
router.register("admin/audit", audit.AuditEventViewSet, basename="admin-audit")
router.register("me/caregivers", clinic_api.CaregiverViewSet, basename="caregiver")


def exact(patterns: Iterable[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
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


urlpatterns = exact(
    [
        *router.urls,
        path("auth/register/", clinic_api.RegisterView.as_view(), name="register"),
        path("auth/token/", clinic_api.TokenView.as_view(), name="token"),
        path("auth/logout/", clinic_api.LogoutView.as_view(), name="logout"),
        path("me/", me.MeView.as_view(), name="me"),
        path(
            "bookings/<int:pk>/calendar.ics",
            scheduling_api.BookingCalendarView.as_view(),
            name="booking-calendar",
        ),
        path("visits/join/<str:token>/", scheduling_api.VisitJoinView.as_view(), name="visit-join"),
        path("offers/<str:token>/", scheduling_api.OfferView.as_view(), name="offer"),
        path("offers/<str:token>/claim/", scheduling_api.OfferClaimView.as_view(), name="offer-claim"),
        path("offers/<str:token>/decline/", scheduling_api.OfferDeclineView.as_view(), name="offer-decline"),
        path("webhooks/twilio/status/", notifications_api.TwilioStatusView.as_view(), name="twilio-status"),
        path(
            "webhooks/twilio/inbound/", notifications_api.TwilioInboundView.as_view(), name="twilio-inbound"
        ),
    ]
)
