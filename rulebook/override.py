"""An agent overriding an automated decision (the platform's own: R-TIMEOUT, a rule decided at once), with a reason,
within a window after the case closed. Money already moved stays in the ledger: an override that takes a refund
back is a reversal — a new, ledgered move — and one that gives more is a new refund, capped by the ledger like any.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from rulebook.decisions import Decision
from rulebook.enums import CaseStatus, Outcome, Role

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


def check(case: Overridable, outcome: Outcome, amount_cents: int | None, rationale: str, now: datetime) -> None:
    """Raises `OverrideRefused` (code `invalid_state` or `invalid_request`) unless the override may go ahead."""
    if not case.status.is_final or case.closed_at is None or case.decided_by != Role.SYSTEM:
        raise OverrideRefused("only a case the platform decided by itself can be overridden", "invalid_state")
    if case.overridden:
        raise OverrideRefused("the decision was overridden already", "invalid_state")
    if now > case.closed_at + case.window:
        raise OverrideRefused(f"the override window ({case.window}) has passed", "invalid_state")
    if outcome not in OUTCOMES:
        raise OverrideRefused(f"an override may be one of {', '.join(sorted(OUTCOMES))}", "invalid_request")
    if outcome in NEEDS_AMOUNT and not amount_cents:
        raise OverrideRefused(f"{outcome} needs amount_cents", "invalid_request")
    if not rationale.strip():
        raise OverrideRefused("an override needs its reason", "invalid_request")


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
