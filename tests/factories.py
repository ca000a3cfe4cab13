"""factory_boy factories for the whole suite."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import factory
from django.utils import timezone

from clinic.caregivers import consent_token, token_hash
from clinic.models import Caregiver, Patient, Specialist, Specialty, StateLicense, User, VisitType
from notifications.models import Notification
from scheduling.models import AvailabilityRule, Booking, Slot, WaitlistEntry

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Doe{n}")
    role = User.Role.PATIENT
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class AdminFactory(UserFactory):
    role = User.Role.ADMIN
    is_staff = True


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    user = factory.SubFactory(UserFactory, role=User.Role.PATIENT)
    phone = "+12125550123"
    state = "NY"
    timezone = ZoneInfo("America/New_York")
    sms_opt_in = True
    email_opt_in = True


class CaregiverFactory(factory.django.DjangoModelFactory):
    """A caregiver both of whose addresses consented (`active`); `caregivers.caregiver_add`
    makes one waiting for consent, as a patient does."""

    class Meta:
        model = Caregiver

    patient = factory.SubFactory(PatientFactory)
    name = "Robin Carer"
    relationship = "daughter"
    phone = factory.Sequence(lambda n: f"+1312555{n % 10000:04d}")
    email = factory.Sequence(lambda n: f"carer{n}@example.com")
    status = Caregiver.Status.ACTIVE
    phone_consented_at = factory.LazyFunction(timezone.now)
    email_consented_at = factory.LazyFunction(timezone.now)
    consent_nonce = factory.Sequence(lambda n: f"{n:032x}")
    consent_token_sha256 = factory.LazyAttribute(lambda c: token_hash(consent_token(c)))


class VisitTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VisitType
        django_get_or_create = ["slug"]

    slug = "consult"
    name = "New patient consultation"
    duration_minutes = 60
    new_patient = True


class FollowUpFactory(VisitTypeFactory):
    slug = "follow-up"
    name = "Follow-up"
    duration_minutes = 30
    new_patient = False


class SpecialistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialist
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, role=User.Role.SPECIALIST)
    credentials = "MD"
    timezone = ZoneInfo("America/New_York")

    @factory.post_generation
    def states(self, create, extracted, **kwargs):
        """Licensed in these states (default NY) for two years."""
        for state in extracted if extracted is not None else ["NY"]:
            StateLicense.objects.create(
                specialist=self,
                state=state,
                number=f"{state}-{self.pk}",
                expires_on=timezone.localdate() + dt.timedelta(days=730),
            )

    @factory.post_generation
    def specialties(self, create, extracted, **kwargs):
        slugs = extracted if extracted is not None else ["chronic-pain"]
        self.specialties.set(Specialty.objects.filter(slug__in=slugs))

    @factory.post_generation
    def offers(self, create, extracted, **kwargs):
        """Visit types offered (default: a 60-minute consult and a 30-minute follow-up)."""
        self.visit_types.set(extracted if extracted is not None else [VisitTypeFactory(), FollowUpFactory()])


class SlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Slot

    specialist = factory.SubFactory(SpecialistFactory)
    visit_type = factory.SubFactory(VisitTypeFactory)
    start = factory.LazyFunction(
        lambda: (timezone.now() + dt.timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    )
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(minutes=o.visit_type.duration_minutes))
    status = Slot.Status.OPEN


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    patient = factory.SubFactory(PatientFactory)
    slot = factory.SubFactory(SlotFactory, status=Slot.Status.BOOKED)
    status = Booking.Status.CONFIRMED
    reason = "Migraine with aura for three weeks"


class RuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AvailabilityRule

    specialist = factory.SubFactory(SpecialistFactory)
    weekday = 0
    start_time = dt.time(9)
    end_time = dt.time(12)
    visit_type = factory.SubFactory(VisitTypeFactory)
    valid_from = factory.LazyFunction(timezone.localdate)


class NotificationFactory(factory.django.DjangoModelFactory):
    """A confirmation SMS of its own booking, due now."""

    class Meta:
        model = Notification

    booking = factory.SubFactory(BookingFactory)
    subject = factory.LazyAttribute(lambda n: f"booking:{n.booking.pk}")
    kind = Notification.Kind.BOOKING_CONFIRMED
    channel = Notification.Channel.SMS
    recipient = "+12125550123"
    send_at = factory.LazyFunction(timezone.now)
    status = Notification.Status.PENDING


class WaitlistEntryFactory(factory.django.DjangoModelFactory):
    """A patient in New York waiting for chronic pain (SpecialistFactory's defaults)."""

    class Meta:
        model = WaitlistEntry

    patient = factory.SubFactory(PatientFactory)
    # Made if missing: a transactional test's flush empties the catalogue the migrations load.
    specialty = factory.LazyFunction(
        lambda: Specialty.objects.get_or_create(slug="chronic-pain", defaults={"name": "Chronic pain"})[0]
    )
    state = "NY"
