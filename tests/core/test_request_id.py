"""Logs: JSON lines carrying the request id, carried into tasks, and no PHI in them."""

import copy
import io
import json
import logging
import logging.config
import uuid

import pytest
from celery.worker.request import Request
from django.conf import settings as django_settings
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from api import health
from config.celery import app as celery_app
from core.request_id import RequestIdMiddleware, request_id
from notifications import tasks
from notifications.backends.sms import LocmemSmsBackend
from notifications.models import Notification
from notifications.services import dispatch
from tests.conftest import client_for
from tests.factories import PatientFactory, SlotFactory, SpecialistFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_log():
    """The settings' LOGGING with LOG_FORMAT=json and LOG_LEVEL=DEBUG, writing into a buffer;
    returns a function that gives the lines written so far, each parsed."""
    buffer = io.StringIO()
    config = copy.deepcopy(django_settings.LOGGING)
    config["handlers"]["console"].update(formatter="json", stream=buffer)
    config["root"]["level"] = "DEBUG"
    logging.config.dictConfig(config)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        logging.config.dictConfig(django_settings.LOGGING)


def run_in_request(view, request_id_header: str | None = None) -> HttpResponse:
    """`view` inside the request id middleware, as a request would run it."""
    headers = {"HTTP_X_REQUEST_ID": request_id_header} if request_id_header is not None else {}
    return RequestIdMiddleware(view)(RequestFactory().post("/", **headers))


def take_messages(count: int) -> list:
    """`count` messages off the real broker's default queue, as a worker receives them."""
    with celery_app.connection_for_read() as connection:
        queue = connection.SimpleQueue("celery")
        messages = [queue.get(timeout=5) for _ in range(count)]
        for message in messages:
            message.ack()
        queue.close()
    return messages


def run_as_worker(message) -> None:
    """The worker's own code path for one message: its Request, the tracer, the task signals."""
    Request(message, app=celery_app, task=celery_app.tasks[message.headers["task"]]).execute()


# --- JSON lines and the request id -----------------------------------------------------------


def test_a_request_logs_json_lines_carrying_the_id_it_answers(json_log, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(health, "JsonResponse", broken)
    response = Client(raise_request_exception=False).get("/healthz", {"q": "Canaryname"})

    assert response.status_code == 500
    rid = response["X-Request-ID"]
    lines = json_log()
    assert {line["logger"] for line in lines} == {"django.request", "core.access"}
    for line in lines:
        assert {"time", "level", "logger", "message", "request_id"} <= set(line)
        assert line["request_id"] == rid
    error, access = lines
    assert (error["level"], error["message"]) == ("ERROR", "Internal Server Error: healthz")
    assert "RuntimeError: boom" in error["exc_info"]
    assert (access["view"], access["status_code"]) == ("healthz", 500)
    # Django's record carries the request, whose repr is the URL with its query string.
    assert "Canaryname" not in json.dumps(lines)


def test_a_server_error_names_the_view_not_the_path_with_its_join_token(json_log, monkeypatch):
    from scheduling import api as scheduling_api

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(scheduling_api.VisitJoinView, "get", broken)
    token = "a-join-token-that-opens-a-visit"

    response = Client(raise_request_exception=False).get(f"/v/{token}")

    assert response.status_code == 500
    (error,) = [line for line in json_log() if line["logger"] == "django.request"]
    assert error["message"] == "Internal Server Error: visit-join-short"
    assert token not in json.dumps(json_log())


def test_an_access_line_names_the_view_not_the_path(json_log, anon):
    token = "a-join-token-that-opens-a-visit"
    response = anon.get(f"/v/{token}")
    (access,) = [line for line in json_log() if line["logger"] == "core.access"]
    assert access["message"] == f"GET visit-join-short {response.status_code}"
    assert access["status_code"] == response.status_code
    assert token not in json.dumps(json_log())


def test_a_valid_incoming_request_id_is_kept(anon):
    response = anon.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a.trace_42")
    assert response["X-Request-ID"] == "lb-7f3a.trace_42"


@pytest.mark.parametrize(
    "incoming",
    ["", "x" * 65, "has space", "line\r\nInjected: yes", 'quote"', "ünïcode"],
    ids=["empty", "too-long", "space", "newline", "quote", "non-ascii"],
)
def test_an_invalid_incoming_request_id_is_replaced_with_a_new_one(anon, incoming):
    response = anon.get("/healthz", HTTP_X_REQUEST_ID=incoming)
    rid = response["X-Request-ID"]
    assert rid != incoming
    assert uuid.UUID(hex=rid).version == 4


def test_each_request_without_an_id_gets_its_own(anon):
    first, second = anon.get("/healthz")["X-Request-ID"], anon.get("/healthz")["X-Request-ID"]
    assert first != second


def test_the_id_is_gone_once_the_request_ends(anon):
    anon.get("/healthz", HTTP_X_REQUEST_ID="req-over")
    assert request_id.get() is None


def test_the_text_format_shows_the_id(settings):
    formatter = logging.Formatter(
        **{k: v for k, v in settings.LOGGING["formatters"]["text"].items() if k != "()"}
    )
    record = logging.makeLogRecord({"name": "x", "levelname": "INFO", "msg": "hello", "request_id": "req-1"})
    assert formatter.format(record).endswith("INFO x [req-1] hello")
    assert formatter.format(logging.makeLogRecord({"msg": "hello"})).endswith("[-] hello")


# --- The id carried into tasks ---------------------------------------------------------------


def queued_sms() -> Notification:
    patient = PatientFactory(email_opt_in=False)
    specialist = SpecialistFactory()
    slot = SlotFactory(specialist=specialist)
    assert client_for(patient.user).post("/api/v1/bookings/", {"slot": slot.pk}).status_code == 201
    dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None)
    return Notification.objects.get(kind="booking_confirmed", channel="sms", status="queued")


@pytest.mark.redis
def test_a_task_published_in_a_request_carries_its_id_into_the_worker_s_lines(broker, twilio, json_log):
    row = queued_sms()
    twilio.fail_next(400, code=21211)  # so that the send logs a line of its own

    def view(request: HttpRequest) -> HttpResponse:
        tasks.notification_send_sms_task.delay(row.pk)
        return HttpResponse()

    run_in_request(view, "req-from-the-web")
    (message,) = take_messages(1)
    assert message.headers["request_id"] == "req-from-the-web"

    run_as_worker(message)

    row.refresh_from_db()
    assert row.status == Notification.Status.FAILED
    (sent,) = [line for line in json_log() if line["logger"] == "notifications.services.sending"]
    assert sent["message"] == f"notification {row.pk} not sent: code 21211 (permanent)"
    assert (sent["request_id"], sent["task_id"], sent["task_name"]) == (
        "req-from-the-web",
        message.headers["id"],
        "notifications.tasks.notification_send_sms_task",
    )
    assert request_id.get() is None  # the worker's context is clean for its next task


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_beat_s_dispatch_runs_under_its_own_task_id_and_its_send_tasks_carry_it(broker, twilio):
    queued_sms()
    Notification.objects.update(status=Notification.Status.PENDING)
    tasks.notification_dispatch_task.delay()  # as beat publishes it: no request around it
    (dispatch_message,) = take_messages(1)
    assert "request_id" not in dispatch_message.headers

    run_as_worker(dispatch_message)  # commits its claim, then enqueues the send onto Redis

    (send_message,) = take_messages(1)
    assert send_message.headers["task"] == "notifications.tasks.notification_send_sms_task"
    assert send_message.headers["request_id"] == dispatch_message.headers["id"]


def test_a_task_run_eagerly_in_a_request_gives_the_request_its_id_back():
    seen = {}

    def view(request: HttpRequest) -> HttpResponse:
        tasks.notification_send_email_task.apply(args=[0])
        seen["after"] = request_id.get()
        return HttpResponse()

    run_in_request(view, "req-eager")
    assert seen["after"] == "req-eager"


# --- No PHI ----------------------------------------------------------------------------------


def send_due(capture_on_commit) -> None:
    """The dispatcher's claim, then each send task called as the worker would."""
    enqueued: list[tuple[int, str]] = []
    with capture_on_commit(execute=True):
        dispatch.notification_dispatch_due(enqueue=lambda pk, channel: enqueued.append((pk, channel)))
    assert enqueued
    for pk, channel in enqueued:
        task = tasks.notification_send_sms_task if channel == "sms" else tasks.notification_send_email_task
        task(pk)


def test_no_reason_name_phone_or_email_reaches_the_logs(
    caplog, twilio, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """A canary booking through the web, its messages sent (one refused by Twilio, whose error
    text names the number), then cancelled: no record of any of it holds the patient's data."""
    settings.DEBUG = True  # SQL with its parameters is logged only in DEBUG: prove it still isn't
    monkeypatch.setattr(LocmemSmsBackend, "outbox", [])
    canary = uuid.uuid4().hex[:8]
    reason, cancel_reason = f"CANARY-REASON-{canary}", f"CANARY-CANCEL-{canary}"
    patient = PatientFactory(
        user__first_name="Canaryname",
        user__last_name=f"Canarylast{canary}",
        user__email=f"canary-{canary}@example.com",
        phone="+12125550199",
    )
    slot = SlotFactory()
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")  # as LOG_LEVEL=DEBUG sets it

    booked = client_for(patient.user).post("/api/v1/bookings/", {"slot": slot.pk, "reason": reason})
    assert booked.status_code == 201
    twilio.fail_next(400, code=21211)
    send_due(django_capture_on_commit_callbacks)
    cancelled = client_for(slot.specialist.user).post(
        f"/api/v1/bookings/{booked.json()['id']}/cancel/", {"reason": cancel_reason}
    )
    assert cancelled.status_code == 200
    send_due(django_capture_on_commit_callbacks)

    loggers = {record.name for record in caplog.records}
    assert {"core.access", "notifications.services.sending"} <= loggers  # it did log
    formatter = logging.Formatter()
    written = "\n".join(formatter.format(record) + repr(vars(record)) for record in caplog.records)
    for secret in (reason, cancel_reason, "Canaryname", f"Canarylast{canary}", "5550199", f"canary-{canary}"):
        assert secret not in written
