"""Clinic's hand-written SQL, and the fragments through which other apps' statements read clinic.

Why there is any: bench/README.md, "Why some statements are hand-written SQL". Rows are read by
column name (core.rows).

No other app names clinic's tables: a statement of `scheduling` that needs to know about a
specialist, a visit type or a patient composes these fragments into its own single statement,
so a hot path keeps one round trip and a change of clinic's schema is made here alone.

- FROM items (derived tables, joined on their `id`): `specialists`, `visit_types`, `patients`,
  `specialist_names`; each lists the columns it gives.
- Conditions (EXISTS) on a specialist, given as an SQL expression of its id: `licensed`,
  `offers`, `takes`, `has_specialty`.

Portable between PostgreSQL and SQLite (3.35 and later).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from knox.models import AuthToken

from clinic.models import Caregiver, Patient, User
from core import rows


def specialists(alias: str) -> str:
    """FROM item: every specialist, as `alias`, with the columns `id`, `is_active`,
    `accepting_new_patients`."""
    return f"(SELECT sp.id, sp.is_active, sp.accepting_new_patients FROM clinic_specialist sp) {alias}"


def specialist_names(alias: str) -> str:
    """FROM item: every specialist, as `alias`, with the columns `id` and `last_name`."""
    return (
        "(SELECT sp.id, u.last_name FROM clinic_specialist sp JOIN clinic_user u ON u.id = sp.user_id) "
        + alias
    )


def visit_types(alias: str) -> str:
    """FROM item: every visit type, as `alias`, with the columns `id` and `new_patient`."""
    return f"(SELECT vt.id, vt.new_patient FROM clinic_visittype vt) {alias}"


def patients(alias: str) -> str:
    """FROM item: every patient, as `alias`, with the columns `id` (the user's), `phone`,
    `sms_opt_in`, `email_opt_in`, `timezone` (an IANA name) and `language`."""
    return (
        "(SELECT p.user_id AS id, p.phone, p.sms_opt_in, p.email_opt_in, p.timezone, p.language"
        " FROM clinic_patient p) " + alias
    )


def licensed(specialist: str, *, state: str, on: str) -> str:
    """The specialist holds a licence in `state` valid on the date `on` (SQL expressions)."""
    return f"""EXISTS (SELECT 1 FROM clinic_statelicense l
    WHERE l.specialist_id = {specialist} AND l.state = {state} AND l.expires_on >= {on})"""


def offers(specialist: str, *, visit_type: str) -> str:
    """The specialist offers the visit type (SQL expressions of their ids)."""
    return f"""EXISTS (SELECT 1 FROM clinic_specialist_visit_types o
    WHERE o.specialist_id = {specialist} AND o.visittype_id = {visit_type})"""


def takes(specialist: str, *, visit_type: str, accepting: str) -> str:
    """The specialist lists the visit type for booking: offers it, and a new-patient visit only
    while `accepting` (an SQL boolean, e.g. `specialists()`'s `accepting_new_patients`): their
    own patients book follow-ups, which stay listed."""
    return f"""EXISTS (SELECT 1 FROM clinic_specialist_visit_types o
    JOIN clinic_visittype t ON t.id = o.visittype_id
    WHERE o.specialist_id = {specialist} AND o.visittype_id = {visit_type}
      AND (NOT t.new_patient OR {accepting}))"""


def has_specialty(specialist: str, *, slug: str) -> str:
    """The specialist has the specialty whose slug is `slug` (an SQL expression)."""
    return f"""EXISTS (SELECT 1 FROM clinic_specialist_specialties ss
    JOIN clinic_specialty y ON y.id = ss.specialty_id
    WHERE ss.specialist_id = {specialist} AND y.slug = {slug})"""


# Every authenticated API request runs this one statement: knox's own lookup makes a second,
# listing every token of the user to delete the expired ones (clinic.tasks purges those).
_TOKENS_BY_KEY_SQL = """SELECT {token}, {user}
FROM knox_authtoken t JOIN clinic_user u ON u.id = t.user_id
WHERE t.token_key = %s AND t.expiry > %s"""


def tokens_by_key(token_key: str, *, now: dt.datetime) -> list[AuthToken]:
    """The unexpired API tokens whose `token_key` (a token's first characters) is `token_key`,
    each with its user loaded (`token.user`); the caller compares the digests."""
    with connection.cursor() as cursor:
        cursor.execute(
            _TOKENS_BY_KEY_SQL.format(token=rows.columns(AuthToken, "t"), user=rows.columns(User, "u")),
            [token_key, connection.ops.adapt_datetimefield_value(now)],
        )
        tokens = []
        while (row := rows.fetchone(cursor)) is not None:
            token = rows.instance(AuthToken, row)
            token.user = rows.instance(User, row)
            tokens.append(token)
    return tokens


# The lock's statement also says whether the patient has any active caregiver: most have none,
# and then the booking's messages ask nothing more of the database (`caregivers_active`).
_PATIENT_LOCK_SQL = """SELECT {patient}, EXISTS (SELECT 1 FROM clinic_caregiver c
  WHERE c.patient_id = p.user_id AND c.status = %s) AS has_active_caregivers
FROM clinic_patient p WHERE p.user_id = %s"""


def patient_lock(user_id: int) -> Patient | None:
    """The patient `user_id`, its row locked until the transaction ends; None if no patient.
    SQLite has no row locks and needs none: a writing transaction there holds the whole
    database."""
    sql = _PATIENT_LOCK_SQL.format(patient=rows.columns(Patient, "p"))
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE OF p"
    with connection.cursor() as cursor:
        cursor.execute(sql, [Caregiver.Status.ACTIVE, user_id])
        row = rows.fetchone(cursor)
    if row is None:
        return None
    patient = rows.instance(Patient, row)
    if not row["has_active_caregivers"]:
        # As a Prefetch(to_attr=...) leaves it. As of the statement's start: a caregiver whose
        # consent commits while the lock waits hears from the patient's next change.
        patient.active_caregivers = []  # type: ignore[attr-defined]
    return patient


# Every booking change asks who else to tell: the ORM spent longer building this question than
# the database answering it (about a tenth of a booking's CPU in `make bench`).
_ACTIVE_CAREGIVERS_SQL = (
    "SELECT {caregiver} FROM clinic_caregiver c WHERE c.patient_id = %s AND c.status = %s"
)


def caregivers_active(patient: Patient) -> list[Caregiver]:
    """The patient's caregivers whose status is `active`, in the order they were named (none
    without asking when `patient_lock` found that they have none)."""
    known: list[Caregiver] | None = getattr(patient, "active_caregivers", None)
    if known is not None:
        return known
    sql = _ACTIVE_CAREGIVERS_SQL.format(caregiver=rows.columns(Caregiver, "c")) + " ORDER BY c.id"
    with connection.cursor() as cursor:
        cursor.execute(sql, [patient.pk, Caregiver.Status.ACTIVE])
        found = []
        while (row := rows.fetchone(cursor)) is not None:
            found.append(rows.instance(Caregiver, row))
    return found
