"""Who is asking: the clinic's user behind an API request, and the specialist that user is."""

from __future__ import annotations

from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.request import Request

from clinic.models import Specialist, User


def caller(request: Request) -> User:
    """The authenticated user of a request that a permission class already let through."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user


def specialist_of(request: Request) -> Specialist:
    specialist = Specialist.objects.filter(user=caller(request)).first()
    if specialist is None:
        raise PermissionDenied("Only specialists can do this.")
    return specialist
