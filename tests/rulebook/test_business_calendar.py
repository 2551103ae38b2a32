"""The business calendar: paused Shanghai days, read from the setting, and deadlines that leave them out."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rulebook.business_calendar import Pause, deadline_skipping, parse_paused_days, shanghai_midnight

H = timedelta(hours=1)
D = timedelta(days=1)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# 春节: 2027-02-05..2027-02-11 Shanghai = [2027-02-04 16:00 UTC, 2027-02-11 16:00 UTC), seven days.
SPRING = parse_paused_days("2027-02-05..2027-02-11")
TWO_DAYS = parse_paused_days("2027-02-05,2027-02-07")  # [02-04 16:00, 02-05 16:00) and [02-06 16:00, 02-07 16:00)
NEW_YEAR = parse_paused_days("2026-12-31..2027-01-01")  # [2026-12-30 16:00 UTC, 2027-01-01 16:00 UTC)


def test_paused_days_are_whole_shanghai_days_as_utc_instants() -> None:
    assert (Pause(utc("2027-02-04T16:00"), utc("2027-02-11T16:00")),) == SPRING
    assert SPRING[0].length == 7 * D
    shanghai = ZoneInfo("Asia/Shanghai")
    for day in (date(2027, 2, 5), date(2026, 12, 31), date(1995, 6, 1)):
        assert shanghai_midnight(day) == datetime(day.year, day.month, day.day, tzinfo=shanghai)


@pytest.mark.parametrize(
    ("text", "pauses"),
    [
        ("", ()),
        (" , ", ()),
        ("2027-04-05", ((utc("2027-04-04T16:00"), utc("2027-04-05T16:00")),)),
        (
            "2027-04-05, 2027-02-05..2027-02-11",  # sorted
            ((utc("2027-02-04T16:00"), utc("2027-02-11T16:00")), (utc("2027-04-04T16:00"), utc("2027-04-05T16:00"))),
        ),
        ("2027-02-05..2027-02-07,2027-02-06..2027-02-09", ((utc("2027-02-04T16:00"), utc("2027-02-09T16:00")),)),
        ("2027-02-05,2027-02-06", ((utc("2027-02-04T16:00"), utc("2027-02-06T16:00")),)),  # touching days join
    ],
)
def test_the_setting_reads_dates_and_inclusive_ranges(text: str, pauses: tuple[tuple[datetime, datetime], ...]) -> None:
    assert parse_paused_days(text) == tuple(Pause(start, end) for start, end in pauses)


@pytest.mark.parametrize("text", ["2027-02-30", "tomorrow", "2027-02-11..2027-02-05", "2027-02-05..", "05/02/2027"])
def test_anything_else_in_the_setting_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_paused_days(text)


@pytest.mark.parametrize(
    ("case", "started_at", "wait", "pauses", "deadline", "paused"),
    [
        ("wait ends before the pause", "2027-02-01T00:00", 24 * H, SPRING, "2027-02-02T00:00", 0 * D),
        ("pause starts during the wait", "2027-02-04T00:00", 24 * H, SPRING, "2027-02-12T00:00", 7 * D),
        ("wait starts during the pause", "2027-02-08T00:00", 24 * H, SPRING, "2027-02-12T16:00", 3 * D + 16 * H),
        ("wait starts after the pause", "2027-02-12T00:00", 24 * H, SPRING, "2027-02-13T00:00", 0 * D),
        ("deadline on the pause's first instant", "2027-02-03T16:00", 24 * H, SPRING, "2027-02-11T16:00", 7 * D),
        ("deadline a second before it", "2027-02-03T15:59:59", 24 * H, SPRING, "2027-02-04T15:59:59", 0 * D),
        ("a long wait across the whole pause", "2027-02-01T00:00", 7 * D, SPRING, "2027-02-15T00:00", 7 * D),
        ("two pauses in one wait", "2027-02-04T00:00", 72 * H, TWO_DAYS, "2027-02-09T00:00", 2 * D),
        ("across a year's end", "2026-12-30T10:00", 48 * H, NEW_YEAR, "2027-01-03T10:00", 2 * D),
        ("no pauses", "2027-02-04T00:00", 24 * H, (), "2027-02-05T00:00", 0 * D),
    ],
)
def test_a_deadline_moves_out_by_the_paused_time_it_meets(
    case: str, started_at: str, wait: timedelta, pauses: tuple[Pause, ...], deadline: str, paused: timedelta
) -> None:
    moved = deadline_skipping(utc(started_at), wait, pauses)
    assert (moved.deadline, moved.paused) == (utc(deadline), paused), case
    assert moved.deadline == utc(started_at) + wait + moved.paused  # counted time is exactly the wait


def test_paused_days_are_counted_in_shanghai_calendar_days_not_utc_days() -> None:
    """2027-02-05 in Shanghai starts at 2027-02-04 16:00 UTC: a wait set then, a UTC 4 February, is paused already;
    one running out a second earlier is not."""
    day = parse_paused_days("2027-02-05")
    assert deadline_skipping(utc("2027-02-04T17:00"), H, day).deadline == utc("2027-02-05T17:00")
    assert deadline_skipping(utc("2027-02-04T14:59:59"), H, day).deadline == utc("2027-02-04T15:59:59")
    assert deadline_skipping(utc("2027-02-05T16:00"), H, day).deadline == utc("2027-02-05T17:00")  # 6 Feb: free


def test_deadlines_need_aware_times() -> None:
    with pytest.raises(ValueError):
        deadline_skipping(datetime(2027, 2, 4), H, SPRING)
