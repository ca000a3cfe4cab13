"""The application's URL map plus the floor view, mounted only when the benchmark serves."""

from django.urls import path

from bench import floor
from config.urls import handler400, handler403, handler404, handler500
from config.urls import urlpatterns as app_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

urlpatterns = [
    path("bench/floor/claim/", floor.claim, name="bench-floor-claim"),
    *app_urlpatterns,
]
