"""Accounts, catalogue and caregivers endpoints: thin views over clinic's services and selectors."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic import caregivers, selectors, serializers, services, tokens
from clinic.access import caller
from clinic.authentication import TokenAuthentication
from clinic.models import Caregiver, Specialist, Specialty, VisitType
from core.api import throttling
from core.api.openapi import FOUND, SIGNED_IN, operation
from core.api.parsers import JSONParser
from core.api.validation import validated
from core.permissions import IsAdminOrReadOnly, IsPatient, is_admin


class CredentialsView(APIView):
    # An anonymous request that hands over an email and a password: throttled per address,
    # whatever THROTTLE_RATES turns off (core/api/throttling.py). (A comment: the schema would
    # show a docstring as its operations' description.)

    parser_classes = [JSONParser]
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [*APIView.throttle_classes, throttling.AuthThrottle]


class RegisterView(CredentialsView):
    throttle_classes = [*CredentialsView.throttle_classes, throttling.RegisterThrottle]

    @operation("Register a patient", serializers.RegisterOut, 429, request=serializers.RegisterIn, status=201)
    def post(self, request: Request) -> Response:
        user, token = services.patient_register(**validated(serializers.RegisterIn, request.data))
        body = {"id": user.pk, "token": token.token, "expires_at": token.expires_at}
        return Response(serializers.RegisterOut(body).data, status=status.HTTP_201_CREATED)


class TokenView(CredentialsView):
    # Per account too: many addresses still get only a few guesses at one password.
    throttle_classes = [*CredentialsView.throttle_classes, throttling.AccountThrottle]

    @operation(
        "Exchange email and password for a token", serializers.TokenOut, 429, request=serializers.TokenIn
    )
    def post(self, request: Request) -> Response:
        # Django's own request: the sign-in lockout marks it, and its middleware answers 429.
        token = tokens.token_obtain(request=request._request, **validated(serializers.TokenIn, request.data))
        return Response(serializers.TokenOut(token).data)


class LogoutView(APIView):
    # Only a token signs out here (a session has none to revoke): without one, 401.

    permission_classes = [IsAuthenticated]
    authentication_classes = [TokenAuthentication]

    @operation("Revoke the token this request is signed in with", None, 401, status=204)
    def post(self, request: Request) -> Response:
        tokens.token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(list=operation("The neurology specialties", serializers.SpecialtyOut, 404))
class SpecialtyViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [AllowAny]
    serializer_class = serializers.SpecialtyOut
    queryset = Specialty.objects.all()


@extend_schema_view(
    list=operation("Visit types", serializers.VisitTypeOut, 404),
    create=operation(
        "Add a visit type (admin)",
        serializers.VisitTypeOut,
        *SIGNED_IN,
        request=serializers.VisitTypeIn,
        status=201,
    ),
)
class VisitTypeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAdminOrReadOnly]
    parser_classes = [JSONParser]
    serializer_class = serializers.VisitTypeOut
    queryset = VisitType.objects.all()

    def create(self, request: Request) -> Response:
        fields = validated(serializers.VisitTypeIn, request.data)
        visit_type = services.visit_type_create(**fields, by=caller(request))
        return Response(serializers.VisitTypeOut(visit_type).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=operation(
        "Find specialists", serializers.SpecialistOut, 400, 404, parameters=[serializers.SpecialistSearch]
    ),
    retrieve=operation("A specialist", serializers.SpecialistOut, 404),
    create=operation(
        "Onboard a specialist (admin)",
        serializers.SpecialistOut,
        *SIGNED_IN,
        request=serializers.SpecialistIn,
        status=201,
    ),
    partial_update=operation(
        "Change a specialist (admin)",
        serializers.SpecialistOut,
        *FOUND,
        request=serializers.SpecialistPatch,
    ),
)
class SpecialistViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAdminOrReadOnly]
    parser_classes = [JSONParser]
    serializer_class = serializers.SpecialistOut
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Specialist]:
        search = (
            validated(serializers.SpecialistSearch, self.request.query_params)
            if self.action == "list"
            else {}
        )
        return selectors.specialist_list(include_inactive=is_admin(self.request.user), **search)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "show_private": is_admin(self.request.user)}

    def _out(self, specialist: Specialist, code: int = status.HTTP_200_OK) -> Response:
        specialist = self.get_queryset().get(pk=specialist.pk)
        return Response(self.get_serializer(specialist).data, status=code)

    def create(self, request: Request) -> Response:
        fields = validated(serializers.SpecialistIn, request.data)
        fields["licenses"] = [services.LicenseInput(**lic) for lic in fields.get("licenses", [])]
        return self._out(services.specialist_onboard(**fields, by=caller(request)), status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        specialist = self.get_object()
        changes = validated(serializers.SpecialistPatch, request.data, partial=True)
        if "licenses" in changes:
            changes["licenses"] = [services.LicenseInput(**lic) for lic in changes["licenses"]]
        return self._out(
            services.specialist_update(specialist=specialist, changes=changes, by=caller(request))
        )


@extend_schema_view(
    list=operation("The caller's caregivers (patients)", serializers.CaregiverOut, *FOUND),
    create=operation(
        "Name a caregiver: each address is sent its consent request",
        serializers.CaregiverOut,
        *SIGNED_IN,
        request=serializers.CaregiverIn,
        status=201,
        description="A caregiver's phone gets messages once it replied YES, its email once it "
        "consented by its link (then `active`). Their contact cannot be changed: remove them and "
        "add them again. At most five per patient (400 `too_many_caregivers`); one per phone and "
        "per email (400 `caregiver_exists`).",
    ),
    destroy=operation("Remove a caregiver: they get nothing more", None, *FOUND, status=204),
)
class CaregiverViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsPatient]
    parser_classes = [JSONParser]
    serializer_class = serializers.CaregiverOut
    queryset = Caregiver.objects.none()  # the model, for the schema; get_queryset scopes it
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Caregiver]:
        # Only the caller's own: another patient's id answers 404.
        return selectors.caregiver_list(patient=caller(self.request).patient)

    def create(self, request: Request) -> Response:
        fields = validated(serializers.CaregiverIn, request.data)
        caregiver = caregivers.caregiver_add(
            patient=caller(request).patient,
            name=fields["name"],
            relationship=fields["relationship"],
            phone=str(fields.get("phone") or ""),
            email=fields.get("email") or "",
        )
        return Response(serializers.CaregiverOut(caregiver).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        caregivers.caregiver_remove(caregiver=self.get_object(), by=caller(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
