"""Timers T-… of product.md §4: parsing, defaults and deadline arithmetic."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")


class TimerId(StrEnum):
    T_MERCHANT = "T-MERCHANT"
    T_BUYER_SHIP = "T-BUYER-SHIP"
    T_RECEIPT = "T-RECEIPT"
    T_BUYER_REPLY = "T-BUYER-REPLY"
    T_AGENT = "T-AGENT"
    T_STALL = "T-STALL"
    T_MISSED = "T-MISSED"
    T_REFUND = "T-REFUND"


def parse_duration(text: str) -> timedelta:
    """`90s`, `30m`, `24h`, `7d` → a positive timedelta; anything else is a ValueError."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"not a duration: {text!r} (expected e.g. 90s, 30m, 24h, 7d)")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise ValueError(f"a duration must be positive: {text!r}")
    return timedelta(seconds=seconds)


DEFAULTS: dict[TimerId, timedelta] = {
    TimerId.T_MERCHANT: timedelta(hours=24),
    TimerId.T_BUYER_SHIP: timedelta(days=7),
    TimerId.T_RECEIPT: timedelta(hours=48),
    TimerId.T_BUYER_REPLY: timedelta(hours=48),
    TimerId.T_AGENT: timedelta(hours=48),
    TimerId.T_STALL: timedelta(hours=72),
    TimerId.T_MISSED: timedelta(minutes=10),
    TimerId.T_REFUND: timedelta(days=7),  # the law's limit for a refund once it is due
}


@dataclass(frozen=True)
class Timers:
    """The timers in force when a case opened; they travel with the case unchanged."""

    merchant: timedelta = DEFAULTS[TimerId.T_MERCHANT]
    buyer_ship: timedelta = DEFAULTS[TimerId.T_BUYER_SHIP]
    receipt: timedelta = DEFAULTS[TimerId.T_RECEIPT]
    buyer_reply: timedelta = DEFAULTS[TimerId.T_BUYER_REPLY]
    agent: timedelta = DEFAULTS[TimerId.T_AGENT]
    stall: timedelta = DEFAULTS[TimerId.T_STALL]
    refund: timedelta = DEFAULTS[TimerId.T_REFUND]
    override: timedelta = timedelta(hours=72)  # how long after the platform closed a case an agent may override it

    def wait(self, timer: TimerId) -> timedelta:
        """How long the wait named `timer` lasts (T-MISSED is a scan's period, not a case's wait)."""
        waits = {
            TimerId.T_MERCHANT: self.merchant,
            TimerId.T_BUYER_SHIP: self.buyer_ship,
            TimerId.T_RECEIPT: self.receipt,
            TimerId.T_BUYER_REPLY: self.buyer_reply,
            TimerId.T_AGENT: self.agent,
            TimerId.T_STALL: self.stall,
        }
        return waits[timer]


def deadline(started_at: datetime, wait: timedelta) -> datetime:
    """When a wait that started at `started_at` runs out."""
    if started_at.tzinfo is None:
        raise ValueError("deadlines are computed on timezone-aware times")
    return started_at + wait


def has_run_out(deadline_at: datetime, now: datetime) -> bool:
    """A wait has run out at its deadline exactly, not a moment later."""
    return now >= deadline_at


def remaining(deadline_at: datetime, now: datetime) -> timedelta:
    """How long is left before `deadline_at`; never negative."""
    return max(deadline_at - now, timedelta(0))


BUYER_SHIP_WARNING = timedelta(hours=24)  # T-BUYER-SHIP: the buyer is warned this long before it runs out


def warning_at(started_at: datetime, wait: timedelta, before: timedelta = BUYER_SHIP_WARNING) -> datetime:
    """When to warn that a wait is about to run out; at the start if the wait is shorter than the warning."""
    return max(deadline(started_at, wait) - before, started_at)


REFUND_ALERT_MARGIN = timedelta(days=1)  # an unconfirmed refund alerts the agents this long before T-REFUND's limit


def refund_alert_after(limit: timedelta) -> timedelta:
    """How long a refund may stay unconfirmed before the agents are alerted: a day before the legal limit, or half
    of a limit shorter than two days."""
    return max(limit - REFUND_ALERT_MARGIN, limit / 2)


def format_duration(wait: timedelta) -> str:
    """An exact spelling `parse_duration` reads back, in the units §4 speaks of: whole days from three days up
    (`7d`), else whole hours (`24h`, `48h`), minutes (`90m`) or seconds (`90s`)."""
    seconds = int(wait.total_seconds())
    if seconds >= 3 * 86400 and seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
