"""The waitlist's endpoints: joining and leaving it, an offer's link (read, claim, decline), and
the admins' list of offers. Thin: validate, call, serialize."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.access import caller
from clinic.models import Patient
from core.api.openapi import FOUND, SIGNED_IN, operation
from core.api.parsers import JSONParser
from core.api.validation import validated
from core.permissions import IsAdmin, IsPatient, IsPatientOrAdmin
from scheduling import offers, selectors, serializers
from scheduling.models import Offer, WaitlistEntry
from scheduling.services import waitlist
from scheduling.services.offers import offer_claim, offer_decline


@extend_schema_view(
    list=operation(
        "Waitlist entries (patient: own; admin: all), oldest first",
        serializers.WaitlistEntryOut,
        *FOUND,
        400,
        parameters=[serializers.WaitlistFilterIn],
    ),
    create=operation(
        "Join the waitlist of a specialty: a slot that comes free and fits is offered",
        serializers.WaitlistEntryOut,
        *SIGNED_IN,
        request=serializers.WaitlistEntryIn,
        status=201,
    ),
    destroy=operation("Leave the waitlist (a slot held for the entry passes on)", None, *FOUND, status=204),
)
class WaitlistViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.WaitlistEntryOut
    parser_classes = [JSONParser]
    queryset = WaitlistEntry.objects.none()  # the model, for the schema; get_queryset scopes it
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_permissions(self) -> list[BasePermission]:
        return [IsPatient()] if self.action == "create" else [IsPatientOrAdmin()]

    def get_queryset(self) -> QuerySet[WaitlistEntry]:
        search = (
            validated(serializers.WaitlistFilterIn, self.request.query_params)
            if self.action == "list"
            else {}
        )
        return selectors.waitlist_list(user=caller(self.request), **search)

    def create(self, request: Request) -> Response:
        data = validated(serializers.WaitlistEntryIn, request.data)
        patient = Patient.objects.select_related("user").get(user=caller(request))
        entry = waitlist.waitlist_join(patient=patient, by=caller(request), **data)
        return Response(serializers.WaitlistEntryOut(entry).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        waitlist.waitlist_leave(entry=self.get_object(), by=caller(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@method_decorator(never_cache, name="dispatch")
class OfferLinkView(APIView):
    # An offer's link (the token in the path is the credential, carried by the offer's message):
    # no sign-in, and no browser or proxy keeps a copy of an answer.

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    parser_classes = [JSONParser]


class OfferView(OfferLinkView):
    """`offers/{token}/`: the offer a waitlisted patient's link carries."""

    @operation("The offer of a token: the held slot, until when", serializers.OfferOut, 404)
    def get(self, request: Request, token: str) -> Response:
        return Response(serializers.OfferOut(offers.offer_get_by_token(token)).data)


class OfferClaimView(OfferLinkView):
    """`offers/{token}/claim/`: book the held slot."""

    @operation(
        "Book the held slot (the same claim and policies as a booking)",
        serializers.BookingOut,
        404,
        409,
        410,
        request=serializers.OfferClaimIn,
        status=201,
        description="A lapsed, declined or claimed offer answers 410 `offer_closed`.",
    )
    def post(self, request: Request, token: str) -> Response:
        data = validated(serializers.OfferClaimIn, request.data)
        booking = offer_claim(token=token, reason=data["reason"])
        body = serializers.BookingOut(booking, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class OfferDeclineView(OfferLinkView):
    """`offers/{token}/decline/`: let the slot go to the next patient."""

    @operation("Decline the offer: the slot goes to the next patient", serializers.OfferOut, 404, 410)
    def post(self, request: Request, token: str) -> Response:
        return Response(serializers.OfferOut(offer_decline(token=token)).data)


@extend_schema_view(
    list=operation(
        "Waitlist offers, newest first (admins)",
        serializers.AdminOfferOut,
        *FOUND,
        400,
        parameters=[serializers.OfferFilterIn],
    )
)
class AdminOfferViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.AdminOfferOut
    permission_classes = [IsAdmin]
    queryset = Offer.objects.none()  # the model, for the schema; get_queryset filters

    def get_queryset(self) -> QuerySet[Offer]:
        return selectors.offer_list(**validated(serializers.OfferFilterIn, self.request.query_params))
