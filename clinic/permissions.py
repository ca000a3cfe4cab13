"""Who may call what: roles as DRF permissions."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from clinic.models import Specialist, User


def is_admin(user: Any) -> bool:
    return bool(user and user.is_authenticated and (user.role == User.Role.ADMIN or user.is_staff))


class IsAdminOrReadOnly(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in SAFE_METHODS or is_admin(request.user)


class IsPatient(BasePermission):
    message = "Only patients can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role == User.Role.PATIENT)


class IsSpecialistOrAdmin(BasePermission):
    message = "Only specialists and admins can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.role == User.Role.SPECIALIST or is_admin(user)))


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


class IsAdmin(BasePermission):
    message = "Only clinic admins can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_admin(request.user)
