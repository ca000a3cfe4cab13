"""Notifications' hand-written SQL: the rows a booking writes, and the three statements of a send.

Why there is any: bench/README.md, "Why some statements are hand-written SQL". Rows are read by
column name into typed records (core.rows). The booking, its patient and its specialist are read
only through `scheduling.sql.booking_messages`, composed into the send's one read.

- `insert_pending`: the rows of one subject for one audience, in one INSERT.
- `to_send`: one row with everything its send checks and its message says (`ToSend`).
- `move_as_read`: move a row read by `to_send`, only if it is still as read.
- `record_sent`: a message the provider accepted, on a row still `sending`.
- `mark_queued`: the rows the dispatcher claimed, queued.

Portable between PostgreSQL and SQLite (3.35 and later).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection

from core import rows
from notifications.models import Notification
from scheduling import sql as scheduling_sql

# The columns left out are the nullable ones (a test holds the list to the model). `ON
# CONFLICT DO NOTHING` (PostgreSQL, and SQLite since 3.24) skips a row the unique (subject,
# kind, offset, channel, audience) already holds: writing twice creates nothing new.
INSERT_SQL = """
INSERT INTO notifications_notification
  (subject, audience, booking_id, kind, variant, "offset", channel, recipient, send_at, status,
   attempts, last_error, error_code, provider_id, created_at, updated_at)
VALUES {rows}
ON CONFLICT DO NOTHING
"""
_ROW_SQL = "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 0, '', '', '', %s, %s)"


def insert_pending(
    *,
    subject: str,
    audience: str,
    booking_id: int | None,
    messages: Iterable[tuple[str, int, dt.datetime]],
    recipients: Mapping[str, str],
    now: dt.datetime,
    variant: str = "",
) -> None:
    """A `pending` row per message (kind, offset, send_at) and channel of `recipients`
    ({channel: address}) about `subject` for `audience`, unless the row is there already."""
    db_time = connection.ops.adapt_datetimefield_value
    created = db_time(now)
    params: list[Any] = []
    count = 0
    for kind, offset, send_at in messages:
        for channel, address in recipients.items():
            params += [subject, audience, booking_id, kind, variant, offset, channel, address]
            params += [db_time(send_at), Notification.Status.PENDING, created, created]
            count += 1
    if count:
        with connection.cursor() as cursor:
            cursor.execute(INSERT_SQL.format(rows=", ".join([_ROW_SQL] * count)), params)


@dataclass(frozen=True)
class ToSend:
    """A notification row with what its send re-checks and its message says. The booking's
    columns are None for a message about no booking (an offer, an answer to an SMS)."""

    id: int
    status: str
    subject: str
    audience: str
    kind: str
    variant: str
    channel: str
    recipient: str
    attempts: int
    sending_at: dt.datetime | None  # when an attempt that never recorded its end began
    updated_at: dt.datetime
    number_blocked: bool  # the recipient is a phone that replied STOP
    booking_id: int | None
    booking_status: str | None
    start: dt.datetime | None
    phone: str | None
    sms_opt_in: bool | None
    email_opt_in: bool | None
    patient_id: int | None
    patient_timezone: str | None
    patient_language: str | None
    specialist_last_name: str | None
    video_nonce: str | None


# No lock: `move_as_read` lands only on the row as it was read.
_TO_SEND_SQL = f"""
SELECT n.id, n.status, n.subject, n.audience, n.kind, n.variant, n.channel, n.recipient,
       n.attempts, n.sending_at, n.updated_at,
       EXISTS (SELECT 1 FROM notifications_smsoptout o WHERE o.phone = n.recipient) AS number_blocked,
       n.booking_id, m.booking_status, m.start, m.phone, m.sms_opt_in, m.email_opt_in,
       m.patient_id, m.patient_timezone, m.patient_language, m.specialist_last_name, m.video_nonce
FROM notifications_notification n
LEFT JOIN {scheduling_sql.booking_messages("m")} ON m.booking_id = n.booking_id
WHERE n.id = %s
"""


def to_send(notification_id: int) -> ToSend | None:
    with connection.cursor() as cursor:
        cursor.execute(_TO_SEND_SQL, [notification_id])
        row = rows.fetchone(cursor)
    return None if row is None else rows.record(ToSend, row)


# `{same_attempt}` is `IS NULL` or `= %s` (SQL's `=` never matches a NULL).
_MOVE_AS_READ_SQL = """
UPDATE notifications_notification SET status = %s, attempts = %s, sending_at = %s, updated_at = %s
WHERE id = %s AND status = %s AND attempts = %s AND updated_at = %s AND sending_at {same_attempt}
"""


def move_as_read(
    read: ToSend, *, status: str, attempts: int, sending_at: dt.datetime | None, now: dt.datetime
) -> bool:
    """Set the row's status, attempts and `sending_at` if it is still as `read` (same status,
    attempts, `sending_at` and `updated_at`, which every writer of a row sets: so a row
    cancelled, retried and claimed again since the read does not pass for the row read).
    Whether it moved."""
    adapt = connection.ops.adapt_datetimefield_value
    params: list[Any] = [status, attempts, adapt(sending_at), adapt(now)]
    params += [read.id, read.status, read.attempts, adapt(read.updated_at)]
    if read.sending_at is None:
        sql = _MOVE_AS_READ_SQL.format(same_attempt="IS NULL")
    else:
        sql = _MOVE_AS_READ_SQL.format(same_attempt="= %s")
        params.append(adapt(read.sending_at))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1


_RECORD_SENT_SQL = """
UPDATE notifications_notification
SET status = %s, provider_id = %s, sent_at = %s, last_error = '', error_code = '', updated_at = %s
WHERE id = %s AND status = %s
"""


def record_sent(notification_id: int, *, provider_id: str, now: dt.datetime) -> bool:
    """Record the message the provider accepted as `provider_id`, if the row is still
    `sending`. Whether it was."""
    at = connection.ops.adapt_datetimefield_value(now)
    Status = Notification.Status
    with connection.cursor() as cursor:
        cursor.execute(_RECORD_SENT_SQL, [Status.SENT, provider_id, at, at, notification_id, Status.SENDING])
        return cursor.rowcount == 1


# The dispatcher's claim marks up to DISPATCH_BATCH_SIZE rows queued in one statement. On
# PostgreSQL the ids travel as one array (`= ANY(%s)`): the ORM's `IN (%s, %s, ...)` made each
# tick compile, bind and parse a thousand parameters, about a third of a tick's time. SQLite has
# no array type: there the ORM's IN list is the statement.
_MARK_QUEUED_SQL = """
UPDATE notifications_notification SET status = %s, queued_at = %s, updated_at = %s
WHERE id = ANY(%s)
"""


def mark_queued(ids: list[int], *, now: dt.datetime) -> None:
    """Rows the dispatcher claimed, queued as of `now` (a row reclaimed from `sending` keeps its
    `sending_at`: the send then asks the provider whether that attempt went out)."""
    queued = Notification.Status.QUEUED
    if connection.vendor != "postgresql":
        Notification.objects.filter(id__in=ids).update(status=queued, queued_at=now, updated_at=now)
        return
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(_MARK_QUEUED_SQL, [queued, at, at, ids])
