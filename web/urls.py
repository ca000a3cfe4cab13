"""Pages for people (mounted at the root by config.urls): today the reminder queue's dashboard,
which lives in the admin's look and login at /admin/queue/."""

from django.contrib import admin
from django.urls import path

from web import dashboard

# admin_view lets only active staff in and sends the rest to the admin's login; each view then
# asks for its Django permission (web/dashboard.py).
urlpatterns = [
    path("admin/queue/", admin.site.admin_view(dashboard.queue_dashboard), name="admin-queue"),
    path(
        "admin/queue/<int:pk>/retry/", admin.site.admin_view(dashboard.queue_retry), name="admin-queue-retry"
    ),
    path(
        "admin/queue/<int:pk>/cancel/",
        admin.site.admin_view(dashboard.queue_cancel),
        name="admin-queue-cancel",
    ),
]
