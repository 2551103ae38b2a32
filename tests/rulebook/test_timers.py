"""T-… timers (product.md §4): parsing, defaults, deadline arithmetic."""

from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta

import pytest

from rulebook.timers import (
    DEFAULTS,
    TimerId,
    Timers,
    deadline,
    has_run_out,
    parse_duration,
    remaining,
    warning_at,
)

OPENED = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("72h", timedelta(days=3)),
        (" 48h ", timedelta(hours=48)),
        ("1s", timedelta(seconds=1)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "24", "h", "0s", "0d", "-1d", "1.5h", "5w", "24 hours", "1h30m", "24H"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("timer", "expected"),
    [
        (TimerId.T_MERCHANT, "24h"),
        (TimerId.T_BUYER_SHIP, "7d"),
        (TimerId.T_RECEIPT, "48h"),
        (TimerId.T_BUYER_REPLY, "48h"),
        (TimerId.T_AGENT, "48h"),
        (TimerId.T_STALL, "72h"),
        (TimerId.T_MISSED, "10m"),
    ],
)
def test_defaults_are_those_of_the_spec(timer: TimerId, expected: str) -> None:
    assert DEFAULTS[timer] == parse_duration(expected)


def test_every_timer_has_a_default() -> None:
    assert set(DEFAULTS) == set(TimerId)


def test_case_timers_default_to_the_defaults() -> None:
    timers = Timers()
    assert (timers.merchant, timers.buyer_ship, timers.receipt) == (
        timedelta(hours=24),
        timedelta(days=7),
        timedelta(hours=48),
    )
    assert (timers.buyer_reply, timers.agent, timers.stall) == (
        timedelta(hours=48),
        timedelta(hours=48),
        timedelta(hours=72),
    )


def test_the_timers_of_an_open_case_do_not_change() -> None:
    opened_with = Timers(merchant=parse_duration("24h"))
    with pytest.raises(FrozenInstanceError):
        opened_with.merchant = parse_duration("1h")  # type: ignore[misc]
    assert deadline(OPENED, opened_with.merchant) == datetime(2024, 5, 2, 8, 0, tzinfo=UTC)


def test_deadline_needs_an_aware_time() -> None:
    with pytest.raises(ValueError):
        deadline(datetime(2024, 5, 1, 8, 0), timedelta(hours=24))


def test_deadline_runs_out_at_the_instant_not_before() -> None:
    due = deadline(OPENED, Timers().merchant)
    assert not has_run_out(due, due - timedelta(microseconds=1))
    assert has_run_out(due, due)


def test_remaining_is_never_negative() -> None:
    due = deadline(OPENED, timedelta(hours=1))
    assert remaining(due, OPENED) == timedelta(hours=1)
    assert remaining(due, due + timedelta(hours=5)) == timedelta(0)


def test_buyer_is_warned_24h_before_t_buyer_ship_runs_out() -> None:
    assert warning_at(OPENED, Timers().buyer_ship) == OPENED + timedelta(days=6)
    assert warning_at(OPENED, timedelta(hours=2)) == OPENED  # shorter than the warning: warn at once
