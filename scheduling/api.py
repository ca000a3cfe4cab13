"""Scheduling endpoints: availability, slot search, bookings. Thin: validate, call, serialize."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from clinic.access import caller, specialist_of
from clinic.models import Specialist
from core.api.openapi import errors
from core.api.parsers import JSONParser
from core.errors import InvalidInput
from core.permissions import IsPatient, IsSpecialistOrAdmin, is_admin
from scheduling import calendar, selectors, serializers, video
from scheduling.models import AvailabilityRule, Booking, Slot, TimeOff
from scheduling.services import availability, bookings
from scheduling.sql import BookableSlot, BookableSlots


def _valid(serializer_class: type[Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# An Idempotency-Key is the client's opaque token (a UUID, usually): printable ASCII, as HTTP
# header values are, and short enough for its column.
IDEMPOTENCY_KEY = re.compile(r"[\x20-\x7e]{1,255}")


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidInput("The Idempotency-Key must be 1 to 255 printable ASCII characters.")
    return key


def _owner(request: Request, specialist_id: int | None) -> Specialist:
    """Whose calendar a change is for: a specialist's own; an admin names one."""
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


@extend_schema_view(
    list=extend_schema(
        summary="Weekly availability rules (own; admins: all)",
        responses={200: serializers.RuleOut, **errors(401, 403, 404)},
    ),
    retrieve=extend_schema(summary="A rule", responses={200: serializers.RuleOut, **errors(401, 403, 404)}),
    create=extend_schema(
        summary="Add a weekly rule; its slots exist when this returns",
        request=serializers.RuleIn,
        responses={201: serializers.RuleOut, **errors(400, 401, 403, 415)},
    ),
    partial_update=extend_schema(
        summary="Change a rule; its future open slots are regenerated, booked ones kept",
        request=serializers.RulePatch,
        responses={200: serializers.RuleOut, **errors(400, 401, 403, 404, 415)},
    ),
    destroy=extend_schema(
        summary="Delete a rule and its future open slots",
        responses={204: None, **errors(401, 403, 404)},
    ),
)
class AvailabilityRuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsSpecialistOrAdmin]
    parser_classes = [JSONParser]
    queryset = AvailabilityRule.objects.none()  # the model, for the schema; get_queryset scopes it
    serializer_class = serializers.RuleOut
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.rule_list(user=caller(self.request))

    def create(self, request: Request) -> Response:
        data = _valid(serializers.RuleIn, request.data)
        specialist = _owner(request, data.pop("specialist", None))
        rule = availability.rule_create(specialist=specialist, **data)
        return Response(serializers.RuleOut(rule).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        rule = self.get_object()
        changes = _valid(serializers.RulePatch, request.data)
        changes.pop("specialist", None)
        rule = availability.rule_update(rule=rule, changes=changes)
        return Response(serializers.RuleOut(rule).data)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        availability.rule_delete(rule=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="Time off (own; admins: all)",
        responses={200: serializers.TimeOffOut, **errors(401, 403, 404)},
    ),
    retrieve=extend_schema(
        summary="One time off", responses={200: serializers.TimeOffOut, **errors(401, 403, 404)}
    ),
    create=extend_schema(
        summary="Take time off: closes the slots it touches",
        description="A confirmed booking inside answers 409 `conflicting_bookings` with their ids, "
        "unless `cancel_conflicting` is true; then those bookings are cancelled.",
        request=serializers.TimeOffIn,
        responses={201: serializers.TimeOffOut, **errors(400, 401, 403, 409, 415)},
    ),
    destroy=extend_schema(
        summary="Delete time off; its future slots reopen",
        responses={204: None, **errors(401, 403, 404)},
    ),
)
class TimeOffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsSpecialistOrAdmin]
    parser_classes = [JSONParser]
    queryset = TimeOff.objects.none()  # the model, for the schema; get_queryset scopes it
    serializer_class = serializers.TimeOffOut
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.time_off_list(user=caller(self.request))

    def create(self, request: Request) -> Response:
        data = _valid(serializers.TimeOffIn, request.data)
        specialist = _owner(request, data.pop("specialist", None))
        off = availability.time_off_create(specialist=specialist, by=caller(request), **data)
        return Response(serializers.TimeOffOut(off).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        availability.time_off_delete(time_off=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="Search bookable slots (no token needed)",
        parameters=[serializers.SlotSearch],
        responses={200: serializers.SlotOut, **errors(400, 404)},
    ),
    create=extend_schema(
        summary="Add a single slot (its end from the visit type)",
        request=serializers.SlotIn,
        responses={201: serializers.SlotManagedOut, **errors(400, 401, 403, 409, 415)},
    ),
    destroy=extend_schema(
        summary="Delete an open slot (409 `slot_booked` if booked)",
        responses={204: None, **errors(401, 403, 404, 409)},
    ),
)
class SlotViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.SlotOut
    parser_classes = [JSONParser]
    queryset = Slot.objects.none()  # the model, for the schema; get_queryset scopes it
    http_method_names = ["get", "post", "delete", "head", "options"]
    filter_backends: list[Any] = []

    def get_permissions(self) -> list[BasePermission]:
        if self.action in ("list", "next_available"):
            return [AllowAny()]
        return [IsSpecialistOrAdmin()]

    def get_queryset(self) -> QuerySet[Slot]:
        return selectors.slot_list_managed(user=caller(self.request))

    def create(self, request: Request) -> Response:
        data = _valid(serializers.SlotIn, request.data)
        specialist = _owner(request, data.pop("specialist", None))
        slot = availability.slot_add(specialist=specialist, **data)
        return Response(serializers.SlotManagedOut(slot).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        availability.slot_delete(slot=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="The earliest bookable slot of each matching specialist, soonest first",
        parameters=[serializers.NextAvailableSearch],
        responses={200: serializers.SlotOut(many=True), **errors(400, 404)},
    )
    @action(detail=False, methods=["get"], url_path="next-available")
    def next_available(self, request: Request) -> Response:
        search = _valid(serializers.NextAvailableSearch, request.query_params)
        return self._slot_page(selectors.slots_next_available(**search))

    def list(self, request: Request) -> Response:
        search = _valid(serializers.SlotSearch, request.query_params)
        return self._slot_page(selectors.slots_bookable(**search))

    def _slot_page(self, slots: BookableSlots) -> Response:
        # The paginator takes any sliceable sequence with count(); DRF's types say queryset.
        page: list[BookableSlot] | None = self.paginate_queryset(slots)  # type: ignore[arg-type]
        return self.get_paginated_response(serializers.slots_out(page or []))


ACTION_RESPONSES = {200: serializers.BookingOut, **errors(401, 403, 404, 409)}
# The actions that take a body can also refuse it.
BODY_ACTION_RESPONSES = {**ACTION_RESPONSES, **errors(400, 415)}


@extend_schema_view(
    list=extend_schema(
        summary="Bookings (patient: own; specialist: theirs; admin: all)",
        parameters=[serializers.BookingFilterIn],
        responses={200: serializers.BookingOut, **errors(400, 401, 404)},
    ),
    retrieve=extend_schema(summary="A booking", responses={200: serializers.BookingOut, **errors(401, 404)}),
    create=extend_schema(
        summary="Book a slot",
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Same key and body: the same booking again; same key, other body: 409.",
            )
        ],
        request=serializers.BookingIn,
        responses={201: serializers.BookingOut, **errors(400, 401, 403, 409, 415)},
    ),
)
class BookingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.BookingOut
    parser_classes = [JSONParser]
    queryset = Booking.objects.none()  # the model, for the schema; get_queryset scopes it
    filter_backends: list[Any] = []

    def get_permissions(self) -> list[BasePermission]:
        if self.action == "create":
            return [IsPatient()]
        if self.action in ("complete", "no_show"):
            return [IsSpecialistOrAdmin()]
        return [IsAuthenticated()]

    def get_queryset(self) -> QuerySet[Booking]:
        qs = selectors.booking_list(user=caller(self.request))
        if self.action == "list":
            search = _valid(serializers.BookingFilterIn, self.request.query_params)
            if "status" in search:
                qs = qs.filter(status=search["status"])
            if "start_after" in search:
                qs = qs.filter(slot__start__gte=search["start_after"])
            if "start_before" in search:
                qs = qs.filter(slot__start__lt=search["start_before"])
        return qs

    def create(self, request: Request) -> Response:
        data = _valid(serializers.BookingIn, request.data)
        result = bookings.booking_create(
            user=caller(request),
            slot_id=data["slot"],
            reason=data["reason"],
            idempotency_key=_idempotency_key(request),
        )
        response = Response(self.get_serializer(result.booking).data, status=status.HTTP_201_CREATED)
        if result.replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    @extend_schema(summary="Cancel a booking", request=serializers.CancelIn, responses=BODY_ACTION_RESPONSES)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        data = _valid(serializers.CancelIn, request.data)
        booking = bookings.booking_cancel(
            booking=self.get_object(), by=caller(request), reason=data["reason"]
        )
        return Response(self.get_serializer(booking).data)

    @extend_schema(
        summary="Move a booking to another slot, atomically",
        request=serializers.RescheduleIn,
        responses=BODY_ACTION_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk: str | None = None) -> Response:
        data = _valid(serializers.RescheduleIn, request.data)
        booking = bookings.booking_reschedule(
            booking=self.get_object(), slot_id=data["slot"], by=caller(request)
        )
        return Response(self.get_serializer(booking).data)

    @extend_schema(
        summary="Mark a visit completed (after its start)", request=None, responses=ACTION_RESPONSES
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        return Response(
            self.get_serializer(bookings.booking_complete(booking=self.get_object(), by=caller(request))).data
        )

    @extend_schema(
        summary="Mark a visit a no-show (after its start)", request=None, responses=ACTION_RESPONSES
    )
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request: Request, pk: str | None = None) -> Response:
        return Response(
            self.get_serializer(bookings.booking_no_show(booking=self.get_object(), by=caller(request))).data
        )


class BookingCalendarView(GenericAPIView):
    """`bookings/{id}/calendar.ics`: the visit as an iCalendar event, for the patient and their
    specialist."""

    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> QuerySet[Booking]:
        return selectors.booking_list(user=caller(self.request)).select_related("slot__specialist__user")

    @extend_schema(
        summary="The visit as an iCalendar event (no PHI)",
        responses={
            (200, "text/calendar"): OpenApiResponse(OpenApiTypes.STR, description="An iCalendar file."),
            **errors(401, 403, 404),
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        booking = self.get_object()
        if is_admin(request.user):
            self.permission_denied(request, message="Only the patient and their specialist.")
        response = HttpResponse(calendar.booking_ics(booking), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="visit-{booking.pk}.ics"'
        return response


class VisitJoinView(APIView):
    """`visits/join/{token}/`: the holder of a join token enters the video room."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        summary="Join a video visit with the token from its link",
        responses={
            200: serializers.JoinOut,
            **errors(403, 404, 410),
        },
    )
    def get(self, request: Request, token: str) -> Response:
        grant = video.visit_join(token)
        return Response(serializers.JoinOut(grant).data)
