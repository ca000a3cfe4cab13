from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications: reminders by SMS and email"

    def ready(self) -> None:
        from notifications import receivers  # noqa: F401  (connects the booking_changed receiver)
