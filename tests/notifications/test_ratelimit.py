"""SMS_RATE_LIMIT as one schedule per sender, shared by every process: in Redis with a Redis
broker, in a file under var/ on the embedded one."""

import multiprocessing

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from notifications import ratelimit
from tests.conftest import REDIS_URL

SENDER = "MG" + "1" * 32


@pytest.mark.parametrize(
    ("rate", "seconds"), [("1/s", 1), ("30/m", 2), ("3600/h", 1), ("4", 0.25), ("off", 0), ("0", 0)]
)
def test_the_rate_reads_like_celery_s(rate, seconds):
    assert ratelimit.interval(rate) == seconds


@pytest.mark.parametrize("rate", ["fast", "1/d", "0/s", "-1/s"])
def test_a_rate_that_makes_no_sense_is_refused_naming_the_setting(rate):
    with pytest.raises(ImproperlyConfigured, match="SMS_RATE_LIMIT"):
        ratelimit.interval(rate)


def test_a_rate_that_makes_no_sense_is_refused_at_start_up(settings):
    settings.SMS_RATE_LIMIT = "1/d"
    assert "notifications.E002" in {message.id for message in checks.run_checks()}
    settings.SMS_RATE_LIMIT = "1/s"
    assert "notifications.E002" not in {message.id for message in checks.run_checks()}


@pytest.fixture(params=["redis", "file"])
def store(request, settings, tmp_path):
    """Where the schedule lives: the broker's Redis, or a file under VAR_DIR."""
    settings.SMS_RATE_LIMIT = "1/s"
    settings.VAR_DIR = tmp_path
    if request.param == "redis":
        if not REDIS_URL:
            pytest.skip("needs Redis: set REDIS_URL")
        request.getfixturevalue("broker")  # an empty Redis
        settings.CELERY_BROKER_URL = REDIS_URL
    else:
        settings.CELERY_BROKER_URL = "filesystem://localhost//"
    return request.param


def test_turns_are_spaced_by_the_interval(store):
    first = ratelimit.turn_take(sender=SENDER, max_wait=10)
    second = ratelimit.turn_take(sender=SENDER, max_wait=10)
    third = ratelimit.turn_take(sender=SENDER, max_wait=10)
    assert (first.taken, second.taken, third.taken) == (True, True, True)
    assert first.wait == 0
    assert 0.9 < second.wait <= 1
    assert 1.9 < third.wait <= 2


def test_a_turn_further_off_than_the_longest_wait_is_not_taken(store):
    ratelimit.turn_take(sender=SENDER, max_wait=0.5)
    refused = ratelimit.turn_take(sender=SENDER, max_wait=0.5)
    assert not refused.taken
    assert 0.5 < refused.wait <= 1
    # Refusing took nothing: the next caller is offered the same turn.
    assert 0.5 < ratelimit.turn_take(sender=SENDER, max_wait=10).wait <= refused.wait


def test_each_sender_has_its_own_schedule(store):
    ratelimit.turn_take(sender=SENDER, max_wait=10)
    assert ratelimit.turn_take(sender="+12125550100", max_wait=10).wait == 0


def test_no_limit_takes_no_turn(store, settings):
    settings.SMS_RATE_LIMIT = "off"
    for _ in range(3):
        assert ratelimit.turn_take(sender=SENDER, max_wait=0) == ratelimit.Turn(wait=0, taken=True)


def _take_turn(results) -> None:
    results.put(ratelimit.turn_take(sender=SENDER, max_wait=10))


def test_two_processes_share_one_schedule(store):
    """What two worker processes (or a prefork pool's children) see."""
    ratelimit.turn_take(sender=SENDER, max_wait=10)
    results = multiprocessing.get_context("fork").Queue()
    child = multiprocessing.get_context("fork").Process(target=_take_turn, args=(results,))
    child.start()
    child.join(timeout=30)
    turn = results.get(timeout=5)
    assert turn.taken
    assert 0.5 < turn.wait <= 1
