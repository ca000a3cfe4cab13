"""What messages say: no PHI, the patient's own time, one SMS segment each, in the patient's
language. Rendered the way the send task renders them: from its one read of the row
(services/sending.py), or from the plain values it reads (notifications.rendering)."""

import calendar
import copy
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import pytest
from django.conf import settings as django_settings

import notifications
from notifications import sql
from notifications.audiences import PATIENT_NAME_CHARS
from notifications.models import Notification
from notifications.rendering import message_context, render_message
from notifications.services import sending
from scheduling.offers import offer_url_of
from scheduling.services import bookings
from scheduling.video import Participant, join_url_of, new_nonce
from tests.factories import PatientFactory, SlotFactory, SpecialistFactory, UserFactory

pytestmark = pytest.mark.django_db

# GSM 03.38, the 7-bit default alphabet: a text of these characters only fits 160 of them in one
# SMS segment; those of the extension table take two places (an escape, then the character).
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")
SMS_TEMPLATES = Path(notifications.__file__).parent / "templates" / "notifications" / "sms"
# Every SMS template, other audiences' (sms/specialist/) too: "specialist/booking_confirmed".
SMS_KINDS = sorted(
    str(path.relative_to(SMS_TEMPLATES).with_suffix("")) for path in SMS_TEMPLATES.rglob("*.txt")
)
LANGUAGES = [code for code, _ in django_settings.LANGUAGES]
# The longest values a message carries: a doctor's last name of 20 characters, a clinic's public
# address as long as a real one (the join link adds /v/ and a 22-character token).
LONGEST_LAST_NAME = "Castellanos-Whitford"
REALISTIC_BASE_URL = "https://visits.neuroclinic.com"
LONGEST_BOOKING_ID = 2**31 - 1
CANARY = "CANARY-PHI-migraine-with-aura-topiramate"


def gsm7_length(text: str) -> int:
    """Its length in one GSM-7 segment; a character outside GSM-7 fails (it would send UCS-2)."""
    outside = sorted({c for c in text if c not in GSM7 and c not in GSM7_EXTENSION})
    assert not outside, f"not GSM-7: {outside} in {text!r}"
    return sum(2 if c in GSM7_EXTENSION else 1 for c in text)


def longest_zone(moment: dt.datetime) -> ZoneInfo:
    """The zone whose abbreviation around that moment is longest ("AKST", "+0545")."""
    return max(
        (ZoneInfo(name) for name in sorted(available_timezones())),
        key=lambda zone: len(moment.replace(tzinfo=zone).tzname() or ""),
    )


def every_weekday_and_month():
    """A visit at 12:30 (the longest time of day) on a two-digit day of every month and every
    weekday, in the zone with the longest abbreviation."""
    for month in range(1, 13):
        for day in range(10, 17):
            moment = dt.datetime(2027, month, day, 12, 30)
            yield moment.replace(tzinfo=longest_zone(moment))


@pytest.fixture
def realistic(settings):
    """Long but real values: the longest parts a message will carry."""
    settings.PUBLIC_BASE_URL = "https://visits.neuroclinic.com"
    settings.CLINIC_NAME = "Neuro Clinic"
    specialist = SpecialistFactory(user=UserFactory(role="specialist", last_name="Okafor-Whitfield"))
    patient = PatientFactory(timezone=ZoneInfo("America/Los_Angeles"))
    start = dt.datetime.now(dt.UTC).replace(microsecond=0, second=0, minute=30) + dt.timedelta(days=3)
    slot = SlotFactory(specialist=specialist, start=start)
    booking = bookings.booking_create(user=patient.user, slot_id=slot.pk, reason=CANARY).booking
    bookings.booking_cancel(booking=booking, by=specialist.user)
    return booking


def every_notification(booking):
    kinds = {n.kind for n in Notification.objects.filter(booking=booking)}
    assert kinds == {"booking_confirmed", "reminder", "booking_cancelled"}
    for channel in ("sms", "email"):
        Notification.objects.create(
            booking=booking,
            subject=f"booking:{booking.pk}",
            kind="booking_rescheduled",
            channel=channel,
            send_at=booking.created_at,
        )
    return list(Notification.objects.filter(booking=booking))


def render(notification):
    return sending.notification_message(sql.to_send(notification.pk))


def test_no_message_carries_phi(realistic):
    for notification in every_notification(realistic):
        message = render(notification)
        for part in (message.subject, message.text, message.html):
            assert CANARY not in part
            assert "chronic" not in part.lower() and "pain" not in part.lower()  # no specialty either


def test_every_sms_of_the_pipeline_fits_one_gsm7_segment(realistic):
    for notification in every_notification(realistic):
        if notification.channel != "sms":
            continue
        text = render(notification).text
        assert gsm7_length(text) <= 160, f"{notification.kind}: {len(text)} characters: {text}"


@pytest.fixture
def strict_templates(settings):
    """A variable a template names but the data lacks shows, rather than rendering as nothing
    (and making a text look shorter than it will be)."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["OPTIONS"]["string_if_invalid"] = "MISSING-%s"
    settings.TEMPLATES = templates


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", SMS_KINDS)
def test_every_sms_fits_one_gsm7_segment_on_every_weekday_and_month(
    settings, strict_templates, language, template
):
    settings.PUBLIC_BASE_URL = REALISTIC_BASE_URL
    join_url = join_url_of(new_nonce(), Participant.PATIENT)
    seen = set()
    for start in every_weekday_and_month():
        data = message_context(
            start=start.astimezone(dt.UTC),
            patient_timezone=start.tzinfo,
            doctor_last_name=LONGEST_LAST_NAME,
            join_url=join_url,
            language=language,
        )
        data["visit_url"] = f"{data['visits_url']}{LONGEST_BOOKING_ID}/"  # as notifications.audiences
        # A waitlist offer's link and hold; a caregiver's message names the patient (cut to 20).
        data["offer_url"] = offer_url_of(new_nonce())
        data["hold_minutes"] = 120
        data["patient_name"] = "Maximiliana-Josefin"[:PATIENT_NAME_CHARS]
        text = render_message(channel="sms", kind=template, data=data, language=language).text
        assert "MISSING-" not in text, text
        length = gsm7_length(text)
        assert length <= 160, f"{language} {template}: {length} characters: {text}"
        seen.add((start.weekday(), start.month))
    assert len(seen) == 7 * 12


def test_an_sms_speaks_the_patients_language(settings):
    settings.PUBLIC_BASE_URL = REALISTIC_BASE_URL
    saturday = dt.datetime(2027, 1, 9, 15, 30, tzinfo=dt.UTC)
    zone = ZoneInfo("America/New_York")
    texts = {
        language: render_message(
            channel="sms",
            kind="reminder",
            data=message_context(
                start=saturday,
                patient_timezone=zone,
                doctor_last_name="Núñez",
                join_url=f"{REALISTIC_BASE_URL}/v/token",
                language=language,
            ),
        ).text
        for language in ("en", "es")
    }

    assert "Sat Jan 9, 10:30 AM EST" in texts["en"] and "Reply 1 to confirm, 2 to change" in texts["en"]
    # Spanish day names without the accents GSM-7 lacks ("sáb"), the doctor's name likewise.
    assert "Dr. Nuñez, sab 9 ene, 10:30 EST" in texts["es"]
    assert "Responda 1 si asiste, 2 para cambiar" in texts["es"]


def test_reminders_invite_a_reply_and_the_others_say_how_to_opt_out(settings):
    data = message_context(
        start=dt.datetime(2027, 1, 9, 15, 30, tzinfo=dt.UTC),
        patient_timezone=ZoneInfo("America/New_York"),
        doctor_last_name="Okafor",
        join_url="https://clinic.example/v/token",
    )
    assert render_message(channel="sms", kind="reminder", data=data).text.endswith(
        "Reply 1 to confirm, 2 to change"
    )
    for kind in ("booking_confirmed", "booking_rescheduled", "booking_cancelled"):
        assert render_message(channel="sms", kind=kind, data=data).text.endswith("STOP to opt out"), kind


def test_an_email_speaks_the_patients_language_with_its_accents():
    data = message_context(
        start=dt.datetime(2027, 3, 10, 20, 0, tzinfo=dt.UTC),
        patient_timezone=ZoneInfo("America/Chicago"),
        doctor_last_name="Okafor",
        join_url="https://clinic.example/v/token",
        language="es",
    )
    email = render_message(channel="email", kind="reminder", data=data)

    assert email.subject == "Recordatorio: su videoconsulta con Dr. Okafor, mié 10 mar, 14:00 CST"
    assert "Le recordamos su videoconsulta con Dr. Okafor el mié 10 mar, 14:00 CST." in email.text
    assert "Entrar a la videoconsulta" in email.html and '<html lang="es">' in email.html
    assert "Hello" not in email.text + email.html


def test_day_and_month_names_follow_the_language_all_year():
    for local in every_weekday_and_month():
        for language, days, months in (
            ("en", ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], calendar.month_abbr),
            (
                "es",
                ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"],
                ["", "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"],
            ),
        ):
            when = message_context(
                start=local.astimezone(dt.UTC),
                patient_timezone=local.tzinfo,
                doctor_last_name="Okafor",
                join_url=None,
                language=language,
            )["when"]
            assert str(when).startswith(days[local.weekday()]), when
            assert f" {months[local.month]}" in str(when), when


def test_messages_show_the_time_in_the_patients_timezone_and_the_join_link(realistic):
    sms = render(Notification.objects.get(booking=realistic, kind="booking_confirmed", channel="sms")).text
    local = realistic.slot.start.astimezone(ZoneInfo("America/Los_Angeles"))
    assert f"{local.hour % 12 or 12}:30 {local:%p %Z}" in sms
    assert "Dr. Okafor-Whitfield" in sms
    assert "https://visits.neuroclinic.com/v/" in sms


def test_emails_link_the_patients_pages_and_those_pages_exist(settings):
    from django.urls import resolve

    from notifications.rendering import message_context, render_message

    settings.PUBLIC_BASE_URL = "https://clinic.example"
    data = message_context(
        start=dt.datetime(2027, 1, 5, 15, tzinfo=dt.UTC),
        patient_timezone=ZoneInfo("America/New_York"),
        doctor_last_name="Okafor",
        join_url="https://clinic.example/v/token",
    )
    confirmed = render_message(channel="email", kind="booking_confirmed", data=data)
    cancelled = render_message(channel="email", kind="booking_cancelled", data=data)

    assert "https://clinic.example/visits/" in confirmed.text and "/visits/" in confirmed.html
    assert "https://clinic.example/find/" in cancelled.text and "/find/" in cancelled.html
    assert resolve("/visits/").url_name and resolve("/find/").url_name  # pages, not 404s


def test_the_send_renders_a_spanish_patients_messages_in_spanish(realistic):
    patient = PatientFactory(language="es")
    booking = bookings.booking_create(user=patient.user, slot_id=SlotFactory().pk).booking

    reminder = Notification.objects.filter(booking=booking, kind="reminder", channel="sms").first()
    email = Notification.objects.get(booking=booking, kind="booking_confirmed", channel="email")

    assert "Responda 1 si asiste, 2 para cambiar" in render(reminder).text
    assert "Hola" in render(email).text


def test_an_answer_about_no_visit_speaks_the_language_of_the_number(realistic):
    PatientFactory(phone="+12125550177", language="es")
    sql.insert_pending(
        subject="inbound:SM1",
        audience="patient",
        booking_id=None,
        messages=[("reply", 0, dt.datetime.now(dt.UTC))],
        recipients={"sms": "+12125550177"},
        now=dt.datetime.now(dt.UTC),
        variant="no_visit",
    )

    text = render(Notification.objects.get(subject="inbound:SM1")).text

    assert "no tiene citas pendientes" in text
