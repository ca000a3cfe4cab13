from django.apps import AppConfig
from django.core import checks


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling: availability, slots and bookings"

    def ready(self) -> None:
        from core.backends import backend_check
        from scheduling.video_providers import VIDEO_PROVIDERS

        checks.register(backend_check("VIDEO_PROVIDER", VIDEO_PROVIDERS, "scheduling.E001"))
