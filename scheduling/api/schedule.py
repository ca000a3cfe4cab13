"""Scheduling endpoints: availability, slot search, bookings and the join link. Thin: validate,
call, serialize."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer, Serializer
from rest_framework.views import APIView

from clinic.access import caller, specialist_of
from clinic.models import Specialist, User
from core.api.openapi import FOUND, SIGNED_IN, operation
from core.api.parsers import JSONParser
from core.api.validation import validated
from core.errors import InvalidInput
from core.permissions import IsPatient, IsPatientOrAdmin, IsSpecialistOrAdmin, is_admin
from scheduling import ics, selectors, serializers, video
from scheduling.models import AvailabilityRule, Booking, Slot, TimeOff
from scheduling.services import bookings, rules, slots, time_off
from scheduling.sql import BookableSlot, BookableSlots

# An Idempotency-Key is the client's opaque token (a UUID, usually): printable ASCII, as HTTP
# header values are, and short enough for its column.
IDEMPOTENCY_KEY = re.compile(r"[\x20-\x7e]{1,255}")


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidInput("The Idempotency-Key must be 1 to 255 printable ASCII characters.")
    return key


def _owner(request: Request, specialist_id: int | None) -> Specialist:
    """Whose schedule a change is for: a specialist's own; an admin names one."""
    if is_admin(request.user):
        if specialist_id is None:
            raise InvalidInput(
                "Admins must name the specialist.", fields={"specialist": ["Required for admins."]}
            )
        specialist = Specialist.objects.filter(pk=specialist_id).first()
        if specialist is None:
            raise InvalidInput("No such specialist.", fields={"specialist": ["No such specialist."]})
        return specialist
    return specialist_of(request)


def _created(
    request: Request,
    body: type[Serializer],
    service: Callable[..., Any],
    shape: type[Serializer],
    **extra: Any,
) -> Response:
    """201 with what `service` made on a schedule: the caller's own, or the one an admin names."""
    data = validated(body, request.data)
    made = service(specialist=_owner(request, data.pop("specialist", None)), **data, **extra)
    return Response(shape(made).data, status=status.HTTP_201_CREATED)


class ScheduleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    # A specialist's own schedule: their rules or time off (admins: anyone's). A comment: the
    # schema would show a docstring as its operations' description.

    permission_classes = [IsSpecialistOrAdmin]
    parser_classes = [JSONParser]


@extend_schema_view(
    list=operation("Weekly availability rules (own; admins: all)", serializers.RuleOut, *FOUND),
    retrieve=operation("A rule", serializers.RuleOut, *FOUND),
    create=operation(
        "Add a weekly rule; its slots exist when this returns",
        serializers.RuleOut,
        *SIGNED_IN,
        request=serializers.RuleIn,
        status=201,
    ),
    partial_update=operation(
        "Change a rule; its future open slots are regenerated, booked ones kept",
        serializers.RuleOut,
        *FOUND,
        request=serializers.RulePatch,
    ),
    destroy=operation("Delete a rule and its future open slots", None, *FOUND, status=204),
)
class AvailabilityRuleViewSet(ScheduleViewSet):
    queryset = AvailabilityRule.objects.none()  # the model, for the schema; get_queryset scopes it
    serializer_class = serializers.RuleOut
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.rule_list(user=caller(self.request))

    def create(self, request: Request) -> Response:
        return _created(
            request, serializers.RuleIn, rules.rule_create, serializers.RuleOut, by=caller(request)
        )

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        rule = self.get_object()
        changes = validated(serializers.RulePatch, request.data, partial=True)
        changes.pop("specialist", None)
        rule = rules.rule_update(rule=rule, changes=changes, by=caller(request))
        return Response(serializers.RuleOut(rule).data)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        rules.rule_delete(rule=self.get_object(), by=caller(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=operation("Time off (own; admins: all)", serializers.TimeOffOut, *FOUND),
    retrieve=operation("One time off", serializers.TimeOffOut, *FOUND),
    create=operation(
        "Take time off: closes the slots it touches",
        serializers.TimeOffOut,
        *SIGNED_IN,
        409,
        request=serializers.TimeOffIn,
        status=201,
        description="A confirmed booking inside answers 409 `conflicting_bookings` with their ids, "
        "unless `cancel_conflicting` is true; then those bookings are cancelled.",
    ),
    destroy=operation("Delete time off; its future slots reopen", None, *FOUND, status=204),
)
class TimeOffViewSet(ScheduleViewSet):
    queryset = TimeOff.objects.none()  # the model, for the schema; get_queryset scopes it
    serializer_class = serializers.TimeOffOut
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.time_off_list(user=caller(self.request))

    def create(self, request: Request) -> Response:
        return _created(
            request,
            serializers.TimeOffIn,
            lambda **made: time_off.time_off_create(**made).time_off,
            serializers.TimeOffOut,
            by=caller(request),
        )

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        time_off.time_off_delete(time_off=self.get_object(), by=caller(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=operation(
        "Search bookable slots (no token needed)",
        serializers.SlotOut,
        400,
        404,
        parameters=[serializers.SlotSearch],
    ),
    create=operation(
        "Add a single slot (its end from the visit type)",
        serializers.SlotManagedOut,
        *SIGNED_IN,
        409,
        request=serializers.SlotIn,
        status=201,
    ),
    destroy=operation("Delete an open slot (409 `slot_booked` if booked)", None, *FOUND, 409, status=204),
)
class SlotViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.SlotOut
    parser_classes = [JSONParser]
    queryset = Slot.objects.none()  # the model, for the schema; get_queryset scopes it
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_permissions(self) -> list[BasePermission]:
        if self.action in ("list", "next_available"):
            return [AllowAny()]
        return [IsSpecialistOrAdmin()]

    def get_queryset(self) -> QuerySet[Slot]:
        return selectors.slot_list_managed(user=caller(self.request))

    def create(self, request: Request) -> Response:
        return _created(
            request, serializers.SlotIn, slots.slot_add, serializers.SlotManagedOut, by=caller(request)
        )

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        slots.slot_delete(slot=self.get_object(), by=caller(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @operation(
        "The earliest bookable slot of each matching specialist, soonest first",
        serializers.SlotOut(many=True),
        400,
        404,
        parameters=[serializers.NextAvailableSearch],
    )
    @action(detail=False, methods=["get"], url_path="next-available")
    def next_available(self, request: Request) -> Response:
        search = validated(serializers.NextAvailableSearch, request.query_params)
        return self._slot_page(selectors.slots_next_available(**search))

    def list(self, request: Request) -> Response:
        search = validated(serializers.SlotSearch, request.query_params)
        return self._slot_page(selectors.slots_bookable(**search))

    def _slot_page(self, found: BookableSlots) -> Response:
        # The paginator takes any sliceable sequence with count(); DRF's types say queryset.
        page: list[BookableSlot] | None = self.paginate_queryset(found)  # type: ignore[arg-type]
        return self.get_paginated_response(serializers.SlotOut(page or [], many=True).data)


# A booking's actions: someone signed in, on a booking they can see, in a state that allows it.
ACTION_ERRORS = (*FOUND, 409)


@extend_schema_view(
    list=operation(
        "Bookings (patient: own; specialist: theirs; admin: all)",
        serializers.BookingOut,
        400,
        401,
        404,
        parameters=[serializers.BookingFilterIn],
    ),
    retrieve=operation("A booking", serializers.BookingOut, 401, 404),
    create=operation(
        "Book a slot",
        serializers.BookingOut,
        *SIGNED_IN,
        409,
        request=serializers.BookingIn,
        status=201,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Same key and body: the same booking again; same key, other body: 409.",
            )
        ],
    ),
)
class BookingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.BookingOut
    parser_classes = [JSONParser]
    queryset = Booking.objects.none()  # the model, for the schema; get_queryset scopes it

    def get_permissions(self) -> list[BasePermission]:
        if self.action == "create":
            return [IsPatientOrAdmin()]
        if self.action in ("complete", "no_show"):
            return [IsSpecialistOrAdmin()]
        if self.action == "confirm_attendance":
            return [IsPatient()]
        return [IsAuthenticated()]

    def get_queryset(self) -> QuerySet[Booking]:
        search = (
            validated(serializers.BookingFilterIn, self.request.query_params) if self.action == "list" else {}
        )
        return selectors.booking_list(user=caller(self.request), **search)

    def get_serializer(self, *args: Any, **kwargs: Any) -> BaseSerializer[Any]:
        # Every answer that shows bookings is built here, so this is the one place that records
        # who, other than the patient, was shown their reasons (one event per request).
        if args and isinstance(self.request.user, User):
            shown = args[0] if kwargs.get("many") else [args[0]]
            bookings.booking_reasons_read(by=self.request.user, bookings=shown)
        return super().get_serializer(*args, **kwargs)

    def create(self, request: Request) -> Response:
        data = validated(serializers.BookingIn, request.data)
        result = bookings.booking_create(
            user=caller(request),
            slot_id=data["slot"],
            reason=data["reason"],
            idempotency_key=_idempotency_key(request),
            patient=data.get("patient"),
        )
        response = Response(self.get_serializer(result.booking).data, status=status.HTTP_201_CREATED)
        if result.replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    @operation("Cancel a booking", serializers.BookingOut, *ACTION_ERRORS, request=serializers.CancelIn)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        data = validated(serializers.CancelIn, request.data)
        booking = bookings.booking_cancel(
            booking=self.get_object(), by=caller(request), reason=data["reason"]
        )
        return Response(self.get_serializer(booking).data)

    @operation(
        "Move a booking to another slot, atomically",
        serializers.BookingOut,
        *ACTION_ERRORS,
        request=serializers.RescheduleIn,
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk: str | None = None) -> Response:
        data = validated(serializers.RescheduleIn, request.data)
        booking = bookings.booking_reschedule(
            booking=self.get_object(), slot_id=data["slot"], by=caller(request)
        )
        return Response(self.get_serializer(booking).data)

    @operation("Mark a visit completed (after its start)", serializers.BookingOut, *ACTION_ERRORS)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        return Response(
            self.get_serializer(bookings.booking_complete(booking=self.get_object(), by=caller(request))).data
        )

    @operation("Mark a visit a no-show (after its start)", serializers.BookingOut, *ACTION_ERRORS)
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request: Request, pk: str | None = None) -> Response:
        return Response(
            self.get_serializer(bookings.booking_no_show(booking=self.get_object(), by=caller(request))).data
        )

    @operation("Say the patient will attend", serializers.BookingOut, *ACTION_ERRORS)
    @action(detail=True, methods=["post"], url_path="confirm-attendance")
    def confirm_attendance(self, request: Request, pk: str | None = None) -> Response:
        booking = bookings.booking_confirm_attendance(booking=self.get_object(), by=caller(request))
        return Response(self.get_serializer(booking).data)


class BookingCalendarView(GenericAPIView):
    """`bookings/{id}/calendar.ics`: the visit as an iCalendar event, for the patient and their
    specialist."""

    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> QuerySet[Booking]:
        return selectors.booking_list(user=caller(self.request)).select_related("slot__specialist__user")

    @operation(
        "The visit as an iCalendar event (no PHI)",
        OpenApiResponse(OpenApiTypes.STR, description="An iCalendar file."),
        *FOUND,
        status=(200, "text/calendar"),
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        booking = self.get_object()
        if is_admin(request.user):
            self.permission_denied(request, message="Only the patient and their specialist.")
        response = HttpResponse(ics.booking_ics(booking), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="visit-{booking.pk}.ics"'
        return response


# The caller is anonymous but the answer opens the visit: no browser or proxy keeps a copy.
@method_decorator(never_cache, name="dispatch")
class VisitJoinView(APIView):
    """`visits/join/{token}/`: the holder of a join token enters the video room."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @operation("Join a video visit with the token from its link", serializers.JoinOut, 403, 404, 410)
    def get(self, request: Request, token: str) -> Response:
        grant = video.visit_join(token)
        return Response(serializers.JoinOut(grant).data)
