"""Pages (mounted at the root by config.urls): the pages for people under the `web` namespace,
and the reminder queue's dashboard, which lives in the admin's look and login at /admin/queue/.

Page authors: add your paths to `pages` (names are `web:<name>`).
"""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from web import (
    accounts,
    alerts,
    caregivers,
    dashboard,
    language,
    patient,
    profile,
    specialist,
    time_off,
    views,
    visits,
    waitlist,
)

pages = [
    path("", views.home, name="home"),
    # The language switch in every page's footer (web/language.py).
    path("language/", language.language_switch, name="language"),
    # Accounts: Django's auth views with the project's templates (web/accounts.py).
    path("accounts/login/", accounts.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="web/accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="web/accounts/password_reset_confirm.html",
            success_url=reverse_lazy("web:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="web/accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("signup/", accounts.signup, name="signup"),
    # The patient's pages (web/patient.py).
    path("find/", patient.find, name="find"),
    path("specialists/<int:pk>/", patient.specialist, name="specialist"),
    path("book/<int:slot_id>/", patient.book, name="book"),
    path("visits/", visits.visits, name="visits"),
    path("visits/<int:pk>/", visits.visit, name="visit"),
    path("visits/<int:pk>/cancel/", visits.visit_cancel, name="visit_cancel"),
    path("visits/<int:pk>/attend/", visits.visit_attend, name="visit_attend"),
    path("visits/<int:pk>/reschedule/", visits.visit_reschedule, name="visit_reschedule"),
    path("visits/<int:pk>/calendar.ics", visits.visit_calendar, name="visit_calendar"),
    path("profile/", profile.profile, name="profile"),
    path("profile/caregivers/", caregivers.caregivers, name="caregivers"),
    path("profile/caregivers/<int:pk>/remove/", caregivers.caregiver_delete, name="caregiver_delete"),
    path("caregivers/consent/<str:token>/", caregivers.consent, name="caregiver_consent"),
    # The waitlist, and the page an offer's link opens (web/waitlist.py); the link is short, to
    # fit one SMS.
    path("waitlist/", waitlist.waitlist_page, name="waitlist"),
    path("waitlist/<int:pk>/leave/", waitlist.waitlist_leave, name="waitlist_leave"),
    path("o/<str:token>", waitlist.offer_page, name="offer"),
    # The specialist's workspace (web/specialist.py).
    path("week/", specialist.week, name="week"),
    path("week/visits/<int:pk>/completed/", specialist.visit_complete, name="visit_complete"),
    path("week/visits/<int:pk>/no-show/", specialist.visit_no_show, name="visit_no_show"),
    path("hours/", specialist.hours, name="hours"),
    path("hours/<int:pk>/", specialist.hours_edit, name="hours_edit"),
    path("hours/<int:pk>/delete/", specialist.hours_delete, name="hours_delete"),
    path("time-off/", time_off.time_off_page, name="time_off"),
    path("alerts/", alerts.alerts, name="alerts"),
    path("time-off/<int:pk>/delete/", time_off.time_off_delete, name="time_off_delete"),
]

# admin_view lets only active staff in and sends the rest to the admin's login; each view then
# asks for its Django permission (web/dashboard.py).
urlpatterns = [
    path("", include((pages, "web"))),
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
