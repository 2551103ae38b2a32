"""What the parties' own commands settle, as decisions the rule book vouches for.

The workflow holds no policy of its own: a merchant's approval, an accepted proposal, an agent's ruling and a
buyer's silence all become decisions or statuses here, capped so that no command refunds more than is left.
"""

from rulebook.decisions import Decision
from rulebook.enums import CaseKind, CaseStatus, Outcome

AGENT_RULE = "AGENT-DECISION"  # an agent's ruling overrides the rules, with the agent's written rationale
CASH_OUTCOMES = frozenset({Outcome.REFUND, Outcome.PARTIAL_REFUND, Outcome.RETURN_REFUND, Outcome.COUPON})
# What an agent may rule (the REST `decide` and the UI's `decide` alike): a return is the merchant's approval, not a
# ruling, and a hand-off to the agents is no ruling at all.
AGENT_OUTCOMES = (
    Outcome.REFUND,
    Outcome.PARTIAL_REFUND,
    Outcome.COUPON,
    Outcome.RESHIP,
    Outcome.EXCHANGE,
    Outcome.REJECT,
)
NEEDS_AMOUNT = frozenset({Outcome.PARTIAL_REFUND, Outcome.COUPON})  # proposed or decided only with an amount


def carried_out(kind: CaseKind, outcome: Outcome) -> bool:
    """Whether a party may choose `outcome` on a `kind` case: goods come back only on return and exchange cases; a
    reshipment goes through fulfilment on any case (workflows/reshipment.py)."""
    if outcome in (Outcome.EXCHANGE, Outcome.RETURN_REFUND):
        return kind in (CaseKind.RETURN_REFUND, CaseKind.EXCHANGE)
    return True


def refundable(asked_cents: int, paid_cents: int, refunded_cents: int) -> int:
    """What a case may still refund: never more than asked, nor more than is left of what was paid."""
    return max(0, min(asked_cents, paid_cents - refunded_cents))


def merchant_approval(asked_cents: int, refundable_cents: int) -> Decision:
    return Decision(
        outcome=Outcome.REFUND,
        amount_cents=min(asked_cents, refundable_cents),
        rules=(),
        rationale_zh="商家同意退款。",
        rationale_en="The merchant approved the refund.",
    )


def accepted_proposal(outcome: Outcome, amount_cents: int | None, refundable_cents: int) -> Decision:
    amount = _amount(outcome, amount_cents, refundable_cents)
    return Decision(
        outcome=outcome,
        amount_cents=amount,
        rules=(),
        rationale_zh="买家接受了商家的方案。",
        rationale_en="The buyer accepted the merchant's proposal.",
    )


def agent_ruling(outcome: Outcome, amount_cents: int | None, rationale: str, refundable_cents: int) -> Decision:
    """An agent's decision; a refund without an amount refunds what is left to refund."""
    return Decision(
        outcome=outcome,
        amount_cents=_amount(outcome, amount_cents, refundable_cents),
        rules=(AGENT_RULE,),
        rationale_zh=rationale,
        rationale_en=rationale,
    )


def after_buyer_silence(proposal_pending: bool) -> CaseStatus:
    """T-BUYER-REPLY ran out: a proposal lapses and the platform takes the case with what is on file;
    a merchant's rejection the buyer did not contest stands."""
    return CaseStatus.IN_ARBITRATION if proposal_pending else CaseStatus.REJECTED


def _amount(outcome: Outcome, amount_cents: int | None, refundable_cents: int) -> int:
    if outcome not in CASH_OUTCOMES:
        return 0
    if outcome == Outcome.COUPON:
        return max(0, amount_cents or 0)
    return max(0, min(refundable_cents if amount_cents is None else amount_cents, refundable_cents))
