"""Payloads between the case workflow and the order-lock activity (`activities/order_locks.py`): an oversold case
that closes, by whatever path, releases its order's lock."""

from dataclasses import dataclass

from rulebook.enums import LockRelease

# The timeline event a release is recorded as (None: nothing changed, nothing to record).
RELEASE_EVENTS: dict[LockRelease, str | None] = {
    LockRelease.UNLOCKED: "order_unlocked",
    LockRelease.CANCELLED: "order_cancelled",
    LockRelease.NOT_LOCKED: None,
    LockRelease.SHIPPED: None,
    LockRelease.NOT_OVERSOLD: None,
}


@dataclass(frozen=True)
class CaseLockRelease:
    """`refunded_in_full`: the case refunded the whole order (the ledger is checked as well)."""

    case_id: str
    order_id: str
    refunded_in_full: bool = False


@dataclass(frozen=True)
class CaseLockReleased:
    order_id: str
    outcome: LockRelease

    @property
    def event_type(self) -> str | None:
        return RELEASE_EVENTS[self.outcome]
