"""URL map: the API under /api/v1/, its schema and docs, the pages (the queue dashboard), the
Django admin, and the health probes."""

from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from django.views.decorators.cache import never_cache
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import health
from api.urls import exact
from core.csp import SWAGGER_UI
from web.visit import join_link

urlpatterns = [
    path("api/v1/", include("api.urls")),
    *exact(
        [
            path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
            # The split view: its page loads the UI's settings as a script file (`?script`), where
            # the plain view writes them inline, which the CSP forbids. That script carries the
            # caller's CSRF token: never cached.
            path(
                "api/docs/",
                csp_update(SWAGGER_UI)(never_cache(SpectacularSwaggerSplitView.as_view(url_name="schema"))),
                name="docs",
            ),
        ]
    ),
    # The join link patients tap in a reminder: short enough for one SMS segment. A browser gets
    # the visit page, a machine the JSON of visits/join/{token}/ (web/visit.py).
    path("v/<str:token>", join_link, name="visit-join-short"),
    # Before the admin's own URLs, whose catch-all would take /admin/queue/.
    path("", include("web.urls")),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]

handler400 = "core.api.errors.handler400"
handler403 = "core.api.errors.handler403"
handler404 = "core.api.errors.handler404"
handler500 = "core.api.errors.handler500"
