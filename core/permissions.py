"""Who may call what: DRF permissions over the three roles (`core.roles`)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from core.roles import Role


def has_role(user: Any, role: Role) -> bool:
    return bool(user and user.is_authenticated and getattr(user, "role", None) == role)


def is_admin(user: Any) -> bool:
    """The API's admin role: `role = admin`, which `createsuperuser` gives, or a superuser.

    Never `is_staff` alone: staff means "may enter the Django admin", where what one may do is
    said by Django's permissions, one model at a time. A staff account made there to watch the
    queue must not read every booking's reason through the API or steer its accounts.
    """
    return bool(
        user
        and user.is_authenticated
        and (has_role(user, Role.ADMIN) or getattr(user, "is_superuser", False))
    )


class IsAdminOrReadOnly(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in SAFE_METHODS or is_admin(request.user)


class IsPatient(BasePermission):
    message = "Only patients can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return has_role(request.user, Role.PATIENT)


class IsPatientOrAdmin(BasePermission):
    message = "Only patients and clinic admins can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return has_role(request.user, Role.PATIENT) or is_admin(request.user)


class IsSpecialistOrAdmin(BasePermission):
    message = "Only specialists and admins can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return has_role(request.user, Role.SPECIALIST) or is_admin(request.user)


class IsAdmin(BasePermission):
    message = "Only clinic admins can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_admin(request.user)
