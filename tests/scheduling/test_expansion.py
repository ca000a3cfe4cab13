"""Weekly rules expanded in wall-clock time, across DST: no database."""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from scheduling.expansion import rule_intervals
from scheduling.models import AvailabilityRule

NY = ZoneInfo("America/New_York")
UTC = dt.UTC


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def intervals(rule, since, until, minutes=60):
    return list(rule_intervals(rule, NY, dt.timedelta(minutes=minutes), since, until))


def test_nine_in_new_york_stays_nine_across_the_march_switch():
    rule = AvailabilityRule(
        weekday=0, start_time=dt.time(9), end_time=dt.time(10), valid_from=dt.date(2027, 1, 1)
    )
    found = intervals(rule, utc(2027, 3, 1), utc(2027, 3, 23))
    assert [i.start for i in found] == [
        utc(2027, 3, 1, 14),
        utc(2027, 3, 8, 14),
        utc(2027, 3, 15, 13),
        utc(2027, 3, 22, 13),
    ]
    assert all(i.start.astimezone(NY).hour == 9 for i in found)


def test_nine_in_new_york_stays_nine_across_the_november_switch():
    rule = AvailabilityRule(
        weekday=0, start_time=dt.time(9), end_time=dt.time(10), valid_from=dt.date(2027, 1, 1)
    )
    found = intervals(rule, utc(2027, 11, 1), utc(2027, 11, 9))
    assert [i.start for i in found] == [utc(2027, 11, 1, 13), utc(2027, 11, 8, 14)]
    assert all(i.start.astimezone(NY).hour == 9 for i in found)


def test_times_skipped_by_spring_forward_yield_no_slot():
    # 2027-03-14 is a Sunday: New York's clocks jump from 02:00 to 03:00.
    rule = AvailabilityRule(
        weekday=6, start_time=dt.time(1), end_time=dt.time(4), valid_from=dt.date(2027, 1, 1)
    )
    found = intervals(rule, utc(2027, 3, 14), utc(2027, 3, 15), minutes=30)
    local = [i.start.astimezone(NY).strftime("%H:%M") for i in found]
    assert local == ["01:00", "01:30", "03:00", "03:30"]
    ends = [i.end for i in found]
    assert all(e - s.start == dt.timedelta(minutes=30) for e, s in zip(ends, found, strict=True))


def test_times_repeated_by_fall_back_yield_one_slot_at_the_first_occurrence():
    # 2027-11-07 is a Sunday: 01:00-02:00 happens twice in New York.
    rule = AvailabilityRule(
        weekday=6, start_time=dt.time(1), end_time=dt.time(2), valid_from=dt.date(2027, 1, 1)
    )
    found = intervals(rule, utc(2027, 11, 7), utc(2027, 11, 8), minutes=30)
    assert [i.start for i in found] == [utc(2027, 11, 7, 5), utc(2027, 11, 7, 5, 30)]  # 01:00, 01:30 EDT


def test_rule_slots_never_overlap_on_the_fall_back_night():
    rule = AvailabilityRule(
        weekday=6, start_time=dt.time(0), end_time=dt.time(4), valid_from=dt.date(2027, 1, 1)
    )
    found = intervals(rule, utc(2027, 11, 7), utc(2027, 11, 8))
    # 00:00 and 01:00 EDT, then 02:00 and 03:00 EST: the repeated hour gives no second slot.
    assert [i.start for i in found] == [utc(2027, 11, 7, h) for h in (4, 5, 7, 8)]
    for earlier, later in itertools.pairwise(found):
        assert earlier.end <= later.start
