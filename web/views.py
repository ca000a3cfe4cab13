"""The home page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    """Signed out: what the clinic is, and the ways in. Signed in: the role's pages."""
    return render(request, "web/home.html")
