"""An agent overriding an automated decision (the platform's own: R-TIMEOUT, a rule decided at once), with a reason,
within a window after the case closed. Money already moved stays in the ledger: an override that takes a refund
back is a reversal — a new, ledgered move — and one that gives more is a new refund, capped by the ledger like any.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rulebook import settlement
from rulebook.decisions import Decision
from rulebook.enums import CaseStatus, Outcome, Role
from rulebook.timers import format_duration

OVERRIDE_RULE = "AGENT-OVERRIDE"
OUTCOMES = frozenset({Outcome.REFUND, Outcome.PARTIAL_REFUND, Outcome.COUPON, Outcome.REJECT})
NEEDS_AMOUNT = frozenset({Outcome.PARTIAL_REFUND, Outcome.COUPON})


class OverrideRefused(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message, self.code = message, code


@dataclass(frozen=True)
class Overridable:
    """What the override needs to know of the case."""

    status: CaseStatus
    decided_by: str | None  # the role that made the standing decision
    closed_at: datetime | None
    window: timedelta
    overridden: bool
    # `Thresholds.coupon_max_cents` of the case: a coupon above it is refused up front
    coupon_max_cents: int = settlement.COUPON_MAX_CENTS
    # What the case has moved so far (ledger receipts: refunds net of reversals, coupons) and, when the caller has
    # it, what may still move (`settlement.room`): a named amount the ledger could not pay is refused up front.
    moved: settlement.Moved = field(default_factory=settlement.Moved)
    room: settlement.Room | None = None


def check(case: Overridable, outcome: Outcome, amount_cents: int | None, rationale: str, now: datetime) -> None:
    """Raises `OverrideRefused` (code `invalid_state`, `invalid_request` or `invalid_amount`) unless the override
    may go ahead. Its money is then settled by `settlement.settle(case.moved, outcome, ruling(...).amount_cents)`:
    only the difference moves, never the whole amount again."""
    if not case.status.is_final or case.closed_at is None or case.decided_by != Role.SYSTEM:
        raise OverrideRefused("only a case the platform decided by itself can be overridden", "invalid_state")
    if case.overridden:
        raise OverrideRefused("the decision was overridden already", "invalid_state")
    if now > case.closed_at + case.window:
        raise OverrideRefused(f"the override window ({format_duration(case.window)}) has passed", "invalid_state")
    if outcome not in OUTCOMES:
        raise OverrideRefused(f"an override may be one of {', '.join(sorted(OUTCOMES))}", "invalid_request")
    if outcome in NEEDS_AMOUNT and not amount_cents:
        raise OverrideRefused(f"{outcome} needs amount_cents", "invalid_request")
    check_amount(outcome, amount_cents, case.coupon_max_cents)
    if case.room is not None and outcome in NEEDS_AMOUNT:
        why = settlement.over_room(case.room, case.moved, outcome, amount_cents or 0)
        if why is not None:
            raise OverrideRefused(why, "invalid_amount")
    if not rationale.strip():
        raise OverrideRefused("an override needs its reason", "invalid_request")


def check_amount(outcome: Outcome, amount_cents: int | None, coupon_max_cents: int) -> None:
    """Refuses (`invalid_amount`) an amount no ledger could pay: a negative one, or a coupon over one case's cap
    (`Thresholds.coupon_max_cents`, AFTERSALES_COUPON_MAX). The API asks it before the workflow does."""
    if amount_cents is not None and amount_cents < 0:
        raise OverrideRefused("amount_cents is never negative", "invalid_amount")
    if outcome == Outcome.COUPON and (amount_cents or 0) > coupon_max_cents:
        raise OverrideRefused(
            f"a coupon of {amount_cents} fen is over the cap of {coupon_max_cents} fen for one case", "invalid_amount"
        )


def ruling(outcome: Outcome, amount_cents: int | None, asked_cents: int, rationale: str) -> Decision:
    """The decision that replaces the platform's; a full refund asks what the case asked."""
    amount = asked_cents if outcome == Outcome.REFUND else (amount_cents or 0)
    return Decision(
        outcome=outcome,
        amount_cents=0 if outcome == Outcome.REJECT else amount,
        rules=(OVERRIDE_RULE,),
        rationale_zh=rationale,
        rationale_en=rationale,
    )


def status_after(outcome: Outcome) -> CaseStatus:
    return CaseStatus.REJECTED if outcome == Outcome.REJECT else CaseStatus.RESOLVED
