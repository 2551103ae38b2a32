"""Which waits pause, the one extension and its cap, and what each wait running out leads to."""

from datetime import UTC, datetime, timedelta

import pytest

from rulebook.business_calendar import parse_paused_days
from rulebook.deadlines import (
    AfterDeadline,
    DeadlinePolicy,
    ExtensionRefused,
    account,
    after_deadline,
    check_extension,
    extend,
    start,
)
from rulebook.enums import CaseStatus
from rulebook.timers import TimerId, format_duration, parse_duration

S = CaseStatus
H = timedelta(hours=1)
SPRING = DeadlinePolicy(paused=parse_paused_days("2027-02-05..2027-02-11"))  # seven days from 02-04 16:00 UTC
SET_AT = datetime(2027, 2, 4, tzinfo=UTC)  # 16 h before the pause


@pytest.mark.parametrize(
    ("status", "timer", "paused"),
    [
        (S.AWAITING_MERCHANT, TimerId.T_MERCHANT, True),
        (S.AWAITING_BUYER, TimerId.T_BUYER_REPLY, True),
        (S.AWAITING_RETURN_SHIPMENT, TimerId.T_BUYER_SHIP, True),
        (S.AWAITING_RECEIPT, TimerId.T_RECEIPT, True),
        (S.AWAITING_REPLACEMENT, TimerId.T_MERCHANT, True),
        (S.IN_ARBITRATION, TimerId.T_AGENT, False),  # the platform's own wait: not the parties'
        (S.RETURN_IN_TRANSIT, TimerId.T_STALL, False),  # the courier's
        (S.REPLACEMENT_IN_TRANSIT, TimerId.T_STALL, False),
    ],
)
def test_only_buyer_and_merchant_facing_waits_leave_paused_days_out(
    status: CaseStatus, timer: TimerId, paused: bool
) -> None:
    wait = start(status, SET_AT, 24 * H, SPRING)
    assert wait.timer == timer
    assert wait.deadline == SET_AT + 24 * H + (7 * 24 * H if paused else timedelta(0))
    assert wait.paused == (7 * 24 * H if paused else timedelta(0))


def test_every_open_status_names_its_timer() -> None:
    for status in CaseStatus:
        if not status.is_final:
            assert start(status, SET_AT, H, DeadlinePolicy()).timer is not None, status


def test_without_paused_days_a_deadline_is_the_wait_exactly() -> None:
    assert start(S.AWAITING_MERCHANT, SET_AT, 24 * H, DeadlinePolicy()).deadline == SET_AT + 24 * H


def test_an_extension_moves_the_deadline_by_exactly_its_duration_and_keeps_the_old_one() -> None:
    wait = start(S.AWAITING_MERCHANT, SET_AT, 24 * H, SPRING)
    later = extend(wait, 6 * H, "春节后补货", SET_AT + H)
    assert later.deadline == wait.deadline + 6 * H
    record = account(later)
    assert record["extension"] == {
        "duration": "6h",
        "reason": "春节后补货",
        "old_deadline": wait.deadline.isoformat(),
        "new_deadline": later.deadline.isoformat(),
        "at": (SET_AT + H).isoformat(),
    }
    assert (record["timer"], record["wait"], record["paused"]) == (TimerId.T_MERCHANT, "24h", "7d")
    assert record["pauses"] == [{"start": "2027-02-04T16:00:00+00:00", "end": "2027-02-11T16:00:00+00:00"}]


@pytest.mark.parametrize(
    ("before", "duration", "reason", "code"),
    [
        (False, 24 * H, "缺货调拨", None),  # the cap itself is allowed
        (False, 90 * timedelta(seconds=1), "核实物流", None),
        (False, 24 * H + timedelta(seconds=1), "缺货调拨", "extension_too_long"),
        (True, H, "再延一次", "invalid_state"),  # once per case
        (True, 48 * H, "再延一次", "invalid_state"),  # the second one is refused as such, whatever its length
        (False, None, "缺货调拨", "invalid_request"),
        (False, timedelta(0), "缺货调拨", "invalid_request"),
        (False, H, "  ", "invalid_request"),
    ],
)
def test_an_extension_is_once_per_case_within_the_cap_and_with_a_reason(
    before: bool, duration: timedelta | None, reason: str, code: str | None
) -> None:
    if code is None:
        check_extension(before, duration, reason, 24 * H)
        return
    with pytest.raises(ExtensionRefused) as refused:
        check_extension(before, duration, reason, 24 * H)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("status", "proposal", "then"),
    [
        (S.AWAITING_MERCHANT, False, AfterDeadline.PLATFORM_STEPS_IN),
        (S.AWAITING_BUYER, True, AfterDeadline.PROPOSAL_LAPSES),
        (S.AWAITING_BUYER, False, AfterDeadline.REJECTION_STANDS),
        (S.AWAITING_RETURN_SHIPMENT, False, AfterDeadline.REQUEST_CLOSES),
        (S.AWAITING_RECEIPT, False, AfterDeadline.RECEIPT_CONFIRMED),
        (S.AWAITING_REPLACEMENT, False, AfterDeadline.AGENT_STEPS_IN),
        (S.RETURN_IN_TRANSIT, False, AfterDeadline.AGENT_STEPS_IN),
        (S.IN_ARBITRATION, False, AfterDeadline.AGENT_REMINDED),
    ],
)
def test_each_wait_running_out_says_what_happens_now(status: CaseStatus, proposal: bool, then: AfterDeadline) -> None:
    assert after_deadline(status, proposal) == then


@pytest.mark.parametrize("text", ["90s", "30m", "24h", "48h", "3d", "7d", "90m", "25h"])
def test_durations_are_spelled_as_the_settings_read_them(text: str) -> None:
    assert format_duration(parse_duration(text)) == text
