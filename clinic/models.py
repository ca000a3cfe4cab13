"""People and the catalogue: users with a role, patients, specialists and what they offer."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from localflavor.us.models import USStateField
from phonenumber_field.modelfields import PhoneNumberField
from timezone_field import TimeZoneField

from core.roles import Role


class UserManager(BaseUserManager["User"]):
    """Email is the login; `createsuperuser` makes an admin."""

    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An email is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("role", User.Role.PATIENT)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.update(role=User.Role.ADMIN, is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractUser):
    Role = Role

    username = None  # type: ignore[assignment,misc]
    email = models.EmailField(unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PATIENT)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []  # type: ignore[misc]

    objects = UserManager()  # type: ignore[misc,assignment]

    def __str__(self) -> str:
        return self.email


class Language(models.TextChoices):
    """The languages messages and pages speak (settings.LANGUAGES lists the same codes)."""

    EN = "en", _("English")
    ES = "es", _("Spanish")


class Patient(models.Model):
    """A patient's contact details and consents. Its primary key is the user's id."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True)
    phone = PhoneNumberField(blank=True)
    state = USStateField()
    timezone = TimeZoneField(default="America/New_York")
    sms_opt_in = models.BooleanField(default=False)
    email_opt_in = models.BooleanField(default=True)
    # The language of the patient's messages and pages (and of their caregivers' messages).
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.EN)

    def __str__(self) -> str:
        # Operators tell patients apart by name (select the user along in lists).
        return self.user.get_full_name() or self.user.email


# The names of the specialties that ship with migration 0002 and of the demo's visit types
# (seed_demo), marked for makemessages: the pages show a row's name through gettext
# (`{% translate specialty.name %}`), which finds these in the page's language and leaves a
# name the clinic typed itself as it is.
SHIPPED_NAMES = (
    gettext_noop("Headache and migraine"),
    gettext_noop("Chronic pain"),
    gettext_noop("Epilepsy"),
    gettext_noop("Sleep"),
    gettext_noop("Movement disorders"),
    gettext_noop("Multiple sclerosis"),
    gettext_noop("Neuromuscular"),
    gettext_noop("General neurology"),
    gettext_noop("New patient consultation"),
    gettext_noop("Follow-up visit"),
)


class Specialty(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "specialties"

    def __str__(self) -> str:
        return self.name


class VisitType(models.Model):
    """A kind of visit; one that is not for new patients is a follow-up."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    new_patient = models.BooleanField(default=True)

    class Meta:
        ordering = ["duration_minutes", "slug"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=5, duration_minutes__lte=480),
                name="visit_type_duration_range",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.duration_minutes)


class Specialist(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="specialist")
    credentials = models.CharField(max_length=20, blank=True)
    bio = models.TextField(blank=True, max_length=4000)
    timezone = TimeZoneField(default="America/New_York")
    specialties = models.ManyToManyField(Specialty, related_name="specialists", blank=True)
    visit_types = models.ManyToManyField(VisitType, related_name="specialists", blank=True)
    accepting_new_patients = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    # Alerts of visits booked, cancelled or moved in the next 48 hours (API.md, "Web pages").
    phone = PhoneNumberField(blank=True)
    sms_alerts = models.BooleanField(default=False)
    email_alerts = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__last_name", "user__first_name", "id"]

    def __str__(self) -> str:
        name = f"Dr. {self.user.first_name} {self.user.last_name}".strip()
        return f"{name}, {self.credentials}" if self.credentials else name


class StateLicense(models.Model):
    """A licence to practise in one state, valid through `expires_on` (inclusive)."""

    specialist = models.ForeignKey(Specialist, on_delete=models.CASCADE, related_name="licenses")
    state = USStateField()
    number = models.CharField(max_length=40)
    expires_on = models.DateField()

    class Meta:
        ordering = ["state"]
        constraints = [models.UniqueConstraint(fields=["specialist", "state"], name="one_license_per_state")]
        indexes = [models.Index(fields=["state", "expires_on", "specialist"])]

    def __str__(self) -> str:
        return f"{self.state} {self.number} (until {self.expires_on})"


class Caregiver(models.Model):
    """Someone a patient names to receive the confirmations and reminders of their visits too,
    never anything clinical (no reason, no join link).

    Every address consents for itself before it gets a message about a visit: the phone by
    replying YES to the consent request, the email by the link in its consent email; each
    consent is kept with its time, per address, and named in the audit trail. Either side can
    stop it: the patient by removing the caregiver, the caregiver by replying STOP or by the
    stop button of the consent page (then `stopped`, for good: the patient adds them again to
    ask anew). A caregiver's contact is never edited, since a consent belongs to the address
    that gave it: to re-address one, remove them and add them again.
    """

    class Status(models.TextChoices):
        PENDING_CONSENT = "pending_consent", _("Waiting for consent")
        ACTIVE = "active", _("Active")
        STOPPED = "stopped", _("Stopped")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="caregivers")
    name = models.CharField(max_length=100)
    relationship = models.CharField(max_length=50, blank=True)
    phone = PhoneNumberField(blank=True)
    email = models.EmailField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING_CONSENT)
    phone_consented_at = models.DateTimeField(null=True, blank=True)
    email_consented_at = models.DateTimeField(null=True, blank=True)
    # The consent link's token is derived from this nonce (clinic.caregivers), as join links
    # are: the nonce lets the email be rendered when it is sent, the digest finds the caregiver
    # from the link, and a copy of the database alone holds no working link.
    consent_nonce = models.CharField(max_length=32)
    consent_token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(phone="") | ~models.Q(email=""), name="caregiver_phone_or_email"
            ),
            # One consent request per number and per address for a patient.
            models.UniqueConstraint(
                fields=["patient", "phone"], condition=~models.Q(phone=""), name="one_caregiver_per_phone"
            ),
            models.UniqueConstraint(
                fields=["patient", "email"], condition=~models.Q(email=""), name="one_caregiver_per_email"
            ),
        ]
        indexes = [
            # Inbound YES and STOP find the caregivers of a number.
            models.Index(fields=["phone"], condition=~models.Q(phone=""), name="caregiver_phone"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"

    @property
    def consented_at(self) -> dt.datetime | None:
        """When the first of its addresses consented."""
        times = [at for at in (self.phone_consented_at, self.email_consented_at) if at is not None]
        return min(times) if times else None
