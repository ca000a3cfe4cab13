from django.apps import AppConfig
from django.core import checks


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling: availability, slots and bookings"

    def ready(self) -> None:
        from core.backends import backend_check
        from scheduling.services.offers import offer_slot_freed
        from scheduling.signals import slot_freed
        from scheduling.video_providers import VIDEO_PROVIDERS

        checks.register(backend_check("VIDEO_PROVIDER", VIDEO_PROVIDERS, "scheduling.E001"))
        # A slot coming free is offered to the waitlist; a receiver rather than a call from the
        # slots service, which the waitlist's own service uses to hold slots.
        slot_freed.connect(offer_slot_freed, dispatch_uid="scheduling.waitlist.offer_slot_freed")
