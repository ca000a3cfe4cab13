"""`me/`: the caller's own profile (clinic's; notifications hears of a changed contact or consent
through clinic's `patient_contact_changed` and makes the waiting messages follow)."""

from __future__ import annotations

from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.access import caller
from clinic.serializers import ProfileIn, ProfileOut
from clinic.services import profile_update
from core.api.openapi import operation
from core.api.parsers import JSONParser
from core.api.validation import validated


class MeView(APIView):
    parser_classes = [JSONParser]
    permission_classes = [IsAuthenticated]

    @operation("The caller's profile", ProfileOut, 401)
    def get(self, request: Request) -> Response:
        return Response(ProfileOut(request.user).data)

    @operation(
        "Change the caller's profile; an opt-out takes effect at once", ProfileOut, 401, request=ProfileIn
    )
    def patch(self, request: Request) -> Response:
        changes = validated(ProfileIn, request.data, partial=True)
        user = profile_update(user=caller(request), changes=changes)
        user.refresh_from_db()
        return Response(ProfileOut(user).data)
