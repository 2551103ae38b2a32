"""The deadline of each wait (product.md §4): which timer it is, the paused days it leaves out, the one extension.

A wait starts when the case enters a status (`start`). Buyer- and merchant-facing waits (T-MERCHANT, T-BUYER-SHIP,
T-RECEIPT, T-BUYER-REPLY) do not count the platform's paused days; the agent's and the courier's do, and the law's
limits (R-7D, T-REFUND) are never waits here, so no pause can move them against the buyer. The merchant may extend
the running wait once per case, by at most the case's `extension_max`; the deadline moves by exactly that much.
"""

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from rulebook.business_calendar import Pause, deadline_skipping
from rulebook.commands import after_buyer_silence
from rulebook.enums import CaseStatus
from rulebook.returns import WAITS
from rulebook.timers import TimerId, format_duration

S = CaseStatus
EXTENSION_MAX = timedelta(hours=24)
PAUSABLE = frozenset({TimerId.T_MERCHANT, TimerId.T_BUYER_SHIP, TimerId.T_RECEIPT, TimerId.T_BUYER_REPLY})
TIMER_OF: dict[CaseStatus, TimerId] = {S.AWAITING_MERCHANT: TimerId.T_MERCHANT, S.AWAITING_BUYER: TimerId.T_BUYER_REPLY}
TIMER_OF.update(WAITS)


@dataclass(frozen=True)
class DeadlinePolicy:
    """What a case's deadlines are computed with, fixed when it opens and travelling with it like its timers."""

    paused: tuple[Pause, ...] = ()
    extension_max: timedelta = EXTENSION_MAX


@dataclass(frozen=True)
class Extension:
    duration: timedelta
    reason: str
    old_deadline: datetime
    at: datetime


@dataclass(frozen=True)
class Wait:
    """A running wait: its timer, when it was set and for how long, the paused time and the extension it includes."""

    timer: TimerId | None
    set_at: datetime
    length: timedelta
    paused: timedelta = timedelta(0)
    pauses: tuple[Pause, ...] = ()
    extension: Extension | None = None

    @property
    def deadline(self) -> datetime:
        extended = self.extension.duration if self.extension else timedelta(0)
        return self.set_at + self.length + self.paused + extended


def start(status: CaseStatus, set_at: datetime, length: timedelta, policy: DeadlinePolicy) -> Wait:
    """The wait the case enters with `status`; a buyer- or merchant-facing one leaves the paused days out."""
    timer = TIMER_OF.get(status)
    if timer not in PAUSABLE or not policy.paused:
        return Wait(timer, set_at, length)
    moved = deadline_skipping(set_at, length, policy.paused)
    return Wait(timer, set_at, length, moved.paused, moved.pauses)


class ExtensionRefused(Exception):
    """`code`: `invalid_state` (extended before), `extension_too_long` (past the cap) or `invalid_request`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_extension(extended_before: bool, duration: timedelta | None, reason: str | None, cap: timedelta) -> None:
    """Whether the merchant may extend now (the status is `transitions`' to check): once per case, within the cap."""
    if extended_before:
        raise ExtensionRefused("invalid_state", "this case was extended once already; a case is extended only once")
    if duration is None or duration <= timedelta(0) or not (reason or "").strip():
        raise ExtensionRefused("invalid_request", "an extension needs a positive duration and a reason")
    if duration > cap:
        message = f"an extension is at most {format_duration(cap)}; {format_duration(duration)} was asked"
        raise ExtensionRefused("extension_too_long", message)


def extend(wait: Wait, duration: timedelta, reason: str, at: datetime) -> Wait:
    """The same wait, its deadline moved by exactly `duration`."""
    return dataclasses.replace(wait, extension=Extension(duration, reason, wait.deadline, at))


class AfterDeadline(StrEnum):
    """What happens when a wait runs out (said on the timeline and to both parties)."""

    PLATFORM_STEPS_IN = "platform_steps_in"  # T-MERCHANT on the merchant's answer: R-TIMEOUT
    PROPOSAL_LAPSES = "proposal_lapses"  # T-BUYER-REPLY on a proposal: back to the platform with what is on file
    REJECTION_STANDS = "rejection_stands"  # T-BUYER-REPLY on a rejection the buyer did not contest
    REQUEST_CLOSES = "request_closes"  # T-BUYER-SHIP: the return was not sent; withdrawn
    RECEIPT_CONFIRMED = "receipt_confirmed"  # T-RECEIPT: confirmed for the merchant, the refund proceeds
    AGENT_STEPS_IN = "agent_steps_in"  # a stalled parcel or an unshipped replacement
    AGENT_REMINDED = "agent_reminded"  # T-AGENT: raised and reminded, never decided by default
    EVIDENCE_NOT_GIVEN = "evidence_not_given"  # T-BUYER-REPLY on a request for evidence: the platform takes the case


def after_deadline(status: CaseStatus, proposal_pending: bool) -> AfterDeadline:
    if status == S.AWAITING_MERCHANT:
        return AfterDeadline.PLATFORM_STEPS_IN
    if status == S.AWAITING_BUYER:
        lapsed = after_buyer_silence(proposal_pending) == S.IN_ARBITRATION
        return AfterDeadline.PROPOSAL_LAPSES if lapsed else AfterDeadline.REJECTION_STANDS
    if status == S.AWAITING_RETURN_SHIPMENT:
        return AfterDeadline.REQUEST_CLOSES
    if status == S.AWAITING_RECEIPT:
        return AfterDeadline.RECEIPT_CONFIRMED
    if status == S.IN_ARBITRATION:
        return AfterDeadline.AGENT_REMINDED
    return AfterDeadline.AGENT_STEPS_IN


def account(wait: Wait) -> dict[str, object]:
    """The wait as the timeline records it: which timer, set when and for how long, what it included, until when."""
    extension = wait.extension
    return {
        "timer": wait.timer,
        "set_at": wait.set_at.isoformat(),
        "wait": format_duration(wait.length),
        "paused": format_duration(wait.paused) if wait.paused else None,
        "pauses": [{"start": p.start.isoformat(), "end": p.end.isoformat()} for p in wait.pauses],
        "extension": None if extension is None else extension_record(extension, wait.deadline),
        "deadline": wait.deadline.isoformat(),
    }


def extension_record(extension: Extension, new_deadline: datetime) -> dict[str, object]:
    return {
        "duration": format_duration(extension.duration),
        "reason": extension.reason,
        "old_deadline": extension.old_deadline.isoformat(),
        "new_deadline": new_deadline.isoformat(),
        "at": extension.at.isoformat(),
    }
