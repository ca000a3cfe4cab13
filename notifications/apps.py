from django.apps import AppConfig
from django.core import checks


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications: reminders by SMS and email"

    def ready(self) -> None:
        from core.backends import backend_check
        from notifications import receivers  # noqa: F401  (connects the booking_changed receiver)
        from notifications.backends import SMS_BACKENDS
        from notifications.ratelimit import rate_check

        checks.register(backend_check("SMS_BACKEND", SMS_BACKENDS, "notifications.E001"))
        checks.register(rate_check)
