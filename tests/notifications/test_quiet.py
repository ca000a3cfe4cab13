"""Quiet hours: when a message that can wait may go, in the recipient's zone, on ordinary nights,
DST nights and far from UTC; and QUIET_HOURS as the environment sets it. Fixed datetimes, no clock."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured

from notifications.quiet import quiet_now, quiet_send_at

UTC = dt.UTC
NEW_YORK = ZoneInfo("America/New_York")
HONOLULU = ZoneInfo("Pacific/Honolulu")
KOLKATA = ZoneInfo("Asia/Kolkata")
NIGHT = (dt.time(21), dt.time(8))
# Long before anything in these tests: the candidates have not passed.
EARLY = dt.datetime(2026, 1, 1, tzinfo=UTC)


def at(day: str, time: str, zone: ZoneInfo = NEW_YORK, *, fold: int = 0) -> dt.datetime:
    """A local wall time, e.g. at("2026-06-10", "23:00"); fold=1: the second of a repeated one."""
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=zone, fold=fold)


def utc(day: str, time: str) -> dt.datetime:
    return at(day, time, UTC)


@pytest.fixture(autouse=True)
def night(settings):
    settings.QUIET_HOURS = NIGHT


def test_a_reminder_due_late_in_the_evening_moves_to_the_next_morning():
    moved = quiet_send_at(
        due=at("2026-06-10", "23:00"), zone=NEW_YORK, latest=at("2026-06-11", "15:00"), now=EARLY
    )
    assert moved == at("2026-06-11", "08:00")


def test_a_reminder_due_after_midnight_moves_to_the_same_morning():
    moved = quiet_send_at(
        due=at("2026-06-11", "06:30"), zone=NEW_YORK, latest=at("2026-06-11", "15:00"), now=EARLY
    )
    assert moved == at("2026-06-11", "08:00")


@pytest.mark.parametrize("time", ["08:00", "12:00", "20:59", "21:00"])
def test_a_reminder_due_outside_the_quiet_hours_or_on_their_edges_is_unchanged(time):
    due = at("2026-06-10", time)
    assert quiet_send_at(due=due, zone=NEW_YORK, latest=at("2026-06-11", "15:00"), now=EARLY) == due


def test_a_window_that_does_not_cross_midnight_holds_only_its_own_hours(settings):
    settings.QUIET_HOURS = (dt.time(13), dt.time(14))
    visit = at("2026-06-10", "18:00")
    assert quiet_send_at(due=at("2026-06-10", "13:30"), zone=NEW_YORK, latest=visit, now=EARLY) == at(
        "2026-06-10", "14:00"
    )
    for outside in ("12:59", "14:00", "23:00", "03:00"):
        due = at("2026-06-10", outside)
        assert quiet_send_at(due=due, zone=NEW_YORK, latest=visit, now=EARLY) == due


def test_a_reminder_whose_morning_is_after_the_visit_goes_before_the_quiet_hours_begin():
    moved = quiet_send_at(
        due=at("2026-06-11", "06:00"), zone=NEW_YORK, latest=at("2026-06-11", "07:00"), now=EARLY
    )
    assert moved == at("2026-06-10", "21:00")


def test_a_visit_at_the_very_end_of_the_quiet_hours_counts_as_after_it():
    moved = quiet_send_at(
        due=at("2026-06-11", "07:00"), zone=NEW_YORK, latest=at("2026-06-11", "08:00"), now=EARLY
    )
    assert moved == at("2026-06-10", "21:00")


def test_a_message_with_no_visit_waits_for_the_morning_however_late():
    moved = quiet_send_at(due=at("2026-06-11", "07:59"), zone=NEW_YORK, latest=None, now=EARLY)
    assert moved == at("2026-06-11", "08:00")


def test_a_reminder_whose_two_candidate_times_have_passed_goes_at_once():
    # Booked at 23:00 for 07:00: the evening before has gone, the morning is after the visit.
    now = at("2026-06-10", "23:00")
    moved = quiet_send_at(
        due=at("2026-06-11", "06:00"), zone=NEW_YORK, latest=at("2026-06-11", "07:00"), now=now
    )
    assert moved == now


def test_an_overdue_reminder_that_must_go_at_once_keeps_its_due_time():
    due = at("2026-06-10", "22:00")
    moved = quiet_send_at(
        due=due, zone=NEW_YORK, latest=at("2026-06-11", "07:00"), now=at("2026-06-10", "23:00")
    )
    assert moved == due


def test_an_overdue_message_found_in_the_night_waits_for_the_morning():
    moved = quiet_send_at(
        due=at("2026-06-10", "18:00"),
        zone=NEW_YORK,
        latest=at("2026-06-11", "15:00"),
        now=at("2026-06-10", "23:00"),
    )
    assert moved == at("2026-06-11", "08:00")


def test_quiet_hours_off_send_everything_when_due(settings):
    settings.QUIET_HOURS = None
    due = at("2026-06-11", "03:00")
    assert quiet_send_at(due=due, zone=NEW_YORK, latest=at("2026-06-11", "15:00"), now=EARLY) == due
    assert quiet_now(now=due, zone=NEW_YORK, latest=None) is None


def test_the_spring_forward_night_is_an_hour_shorter():
    # 2026-03-08: New York's clocks go from 02:00 EST to 03:00 EDT.
    moved = quiet_send_at(due=at("2026-03-07", "22:00"), zone=NEW_YORK, latest=None, now=EARLY)
    assert moved == at("2026-03-08", "08:00") == utc("2026-03-08", "12:00")
    assert moved - at("2026-03-07", "21:00") == dt.timedelta(hours=10)


def test_the_fall_back_night_is_an_hour_longer():
    # 2026-11-01: New York's clocks go from 02:00 EDT back to 01:00 EST.
    moved = quiet_send_at(due=at("2026-10-31", "22:00"), zone=NEW_YORK, latest=None, now=EARLY)
    assert moved == at("2026-11-01", "08:00") == utc("2026-11-01", "13:00")
    assert moved - at("2026-10-31", "21:00") == dt.timedelta(hours=12)


def test_a_window_starting_at_a_skipped_time_starts_at_its_earlier_reading(settings):
    # 02:30 never shows on 2026-03-08; read with the summer offset it is 01:30 EST.
    settings.QUIET_HOURS = (dt.time(2, 30), dt.time(6))
    quiet, awake = at("2026-03-08", "01:45"), at("2026-03-08", "01:15")
    assert quiet_send_at(due=quiet, zone=NEW_YORK, latest=None, now=EARLY) == at("2026-03-08", "06:00")
    assert quiet_send_at(due=awake, zone=NEW_YORK, latest=None, now=EARLY) == awake


def test_a_window_ending_at_a_skipped_time_ends_at_its_later_reading(settings):
    # 02:30 read with the winter offset is 03:30 EDT.
    settings.QUIET_HOURS = (dt.time(22), dt.time(2, 30))
    moved = quiet_send_at(due=at("2026-03-08", "03:15"), zone=NEW_YORK, latest=None, now=EARLY)
    assert moved == at("2026-03-08", "03:30") == utc("2026-03-08", "07:30")


def test_a_window_ending_at_a_repeated_time_ends_at_its_second_occurrence(settings):
    settings.QUIET_HOURS = (dt.time(22), dt.time(1, 30))
    first_pass = at("2026-11-01", "01:45")  # EDT, before the clocks go back
    moved = quiet_send_at(due=first_pass, zone=NEW_YORK, latest=None, now=EARLY)
    # Compared in UTC: Python never finds a time in the fold equal to one in another zone.
    assert moved == utc("2026-11-01", "06:30")
    assert moved.astimezone(NEW_YORK).strftime("%H:%M %Z") == "01:30 EST"


def test_a_window_starting_at_a_repeated_time_starts_at_its_first_occurrence(settings):
    settings.QUIET_HOURS = (dt.time(1, 30), dt.time(6))
    second_pass = at("2026-11-01", "01:15", fold=1)  # EST, after the clocks went back
    moved = quiet_send_at(due=second_pass, zone=NEW_YORK, latest=None, now=EARLY)
    assert moved == at("2026-11-01", "06:00")


def test_a_window_starting_at_a_skipped_time_can_start_the_evening_before(settings):
    # Havana springs forward at midnight (2026-03-08 00:00 -> 01:00): 00:30 read with the summer
    # offset is 23:30 the evening before, so 23:45 on the 7th is already quiet.
    havana = ZoneInfo("America/Havana")
    settings.QUIET_HOURS = (dt.time(0, 30), dt.time(6))
    moved = quiet_send_at(due=at("2026-03-07", "23:45", havana), zone=havana, latest=None, now=EARLY)
    assert moved == at("2026-03-08", "06:00", havana)


@pytest.mark.parametrize("night_of", ["2026-03-07", "2026-06-10", "2026-10-31"])
@pytest.mark.parametrize(
    "hours", [NIGHT, (dt.time(22), dt.time(1, 30)), (dt.time(2, 30), dt.time(6)), (dt.time(13), dt.time(14))]
)
def test_a_message_moved_out_of_the_quiet_hours_never_lands_in_them(settings, night_of, hours):
    settings.QUIET_HOURS = hours
    start = dt.datetime.fromisoformat(f"{night_of}T12:00").replace(tzinfo=NEW_YORK)
    for quarter in range(4 * 30):
        moved = quiet_send_at(
            due=start + dt.timedelta(minutes=15 * quarter), zone=NEW_YORK, latest=None, now=EARLY
        )
        assert quiet_now(now=moved, zone=NEW_YORK, latest=None) is None, moved


def test_the_night_is_the_recipient_s_in_honolulu():
    # 09:00 UTC is 23:00 in Honolulu (UTC-10, no DST): the message waits for 08:00 there.
    moved = quiet_send_at(due=utc("2026-06-11", "09:00"), zone=HONOLULU, latest=None, now=EARLY)
    assert moved == at("2026-06-11", "08:00", HONOLULU) == utc("2026-06-11", "18:00")


def test_the_night_is_the_recipient_s_in_kolkata():
    # 17:00 UTC is 22:30 in Kolkata (UTC+5:30), and 08:00 there is 02:30 UTC.
    moved = quiet_send_at(due=utc("2026-06-10", "17:00"), zone=KOLKATA, latest=None, now=EARLY)
    assert moved == at("2026-06-11", "08:00", KOLKATA) == utc("2026-06-11", "02:30")


def test_a_retry_landing_in_the_night_is_postponed_to_the_morning():
    assert quiet_now(now=at("2026-06-10", "23:00"), zone=NEW_YORK, latest=None) == at("2026-06-11", "08:00")


def test_a_send_in_the_day_may_go_now():
    assert quiet_now(now=at("2026-06-10", "12:00"), zone=NEW_YORK, latest=at("2026-06-11", "07:00")) is None


def test_a_send_in_the_night_before_an_early_visit_goes_now():
    # Moved to 21:00 and picked up a few seconds later: waiting for 08:00 would miss the visit.
    assert (
        quiet_now(now=at("2026-06-10", "21:00:20"), zone=NEW_YORK, latest=at("2026-06-11", "07:00")) is None
    )


@pytest.mark.parametrize(
    ("value", "hours"),
    [
        ("22:30-7:00", (dt.time(22, 30), dt.time(7))),
        (" 13:00 - 14:00 ", (dt.time(13), dt.time(14))),
        ("", NIGHT),  # an empty line in .env keeps the default
    ],
)
def test_quiet_hours_are_read_from_the_environment(settings_from_env, value, hours):
    quiet_hours = settings_from_env(QUIET_HOURS=value).QUIET_HOURS
    assert quiet_hours == hours


def test_quiet_hours_default_to_21_00_08_00(settings_from_env):
    quiet_hours = settings_from_env().QUIET_HOURS
    assert quiet_hours == NIGHT


@pytest.mark.parametrize("value", ["off", "OFF", " Off "])
def test_quiet_hours_off_reads_as_none(settings_from_env, value):
    assert settings_from_env(QUIET_HOURS=value).QUIET_HOURS is None


@pytest.mark.parametrize("value", ["21-8", "25:00-08:00", "21:00-08:60", "21:00-21:00", "nightly", "21:00"])
def test_a_quiet_hours_value_that_makes_no_sense_is_refused_naming_the_setting(settings_from_env, value):
    with pytest.raises(ImproperlyConfigured, match="QUIET_HOURS"):
        settings_from_env(QUIET_HOURS=value)
