"""What every rule uses: findings, evidence queries, and the buyer's request granted within what was paid.

Evidence conventions:
- a buyer's photo (`photo` uploaded by the buyer) backs a quality, description, damage, expiry or wash claim;
- any evidence the buyer uploaded counts as counter-evidence against a courier's delivery proof;
- the merchant's own photos or chat logs back the merchant's claims (worn, tags removed).
"""

from dataclasses import dataclass

from rulebook.decisions import MONEY_OUTCOMES, Decision
from rulebook.enums import CaseKind, Claim, EvidenceKind, Outcome, Party, ReasonCode, ShipmentStep
from rulebook.facts import CaseFacts


@dataclass(frozen=True)
class Finding:
    """A rule applied but did not decide; the agent starts from what it found."""

    rule: str
    text_zh: str
    text_en: str
    evidence_ids: tuple[str, ...] = ()

    def render(self) -> str:
        return f"{self.rule}: {self.text_en} / {self.text_zh}"


Verdict = Decision | Finding | None

# Reasons that say the goods themselves are at fault (the merchant pays the return shipping when shown).
FAULT_REASONS = frozenset(
    {
        ReasonCode.NOT_AS_DESCRIBED,
        ReasonCode.QUALITY_DEFECT,
        ReasonCode.DAMAGED,
        ReasonCode.EXPIRED,
        ReasonCode.FADED_AFTER_WASH,
        ReasonCode.WRONG_ITEM,
        ReasonCode.MISSING_ITEM,
    }
)

# What granting the buyer's request means for each kind of after-sales case.
REQUESTED: dict[CaseKind, Outcome] = {
    CaseKind.REFUND_ONLY: Outcome.REFUND,
    CaseKind.RETURN_REFUND: Outcome.RETURN_REFUND,
    CaseKind.EXCHANGE: Outcome.EXCHANGE,
    CaseKind.NOT_RECEIVED: Outcome.RESHIP,
}


def refundable(facts: CaseFacts) -> int:
    """What is left to refund on the order."""
    return max(0, facts.paid_cents - facts.refunded_cents)


def capped(facts: CaseFacts, amount: int) -> int:
    """`amount`, but never more than the buyer asked nor more than is left to refund."""
    return max(0, min(amount, facts.amount_cents, refundable(facts)))


def evidence_by(facts: CaseFacts, party: Party, *kinds: EvidenceKind) -> tuple[str, ...]:
    """The ids of evidence `party` uploaded, of the given kinds (any kind when none are given)."""
    return tuple(e.evidence_id for e in facts.evidence if e.uploaded_by == party and (not kinds or e.kind in kinds))


def buyer_photos(facts: CaseFacts) -> tuple[str, ...]:
    return evidence_by(facts, Party.BUYER, EvidenceKind.PHOTO)


def said(facts: CaseFacts, party: Party, claim: Claim) -> bool:
    return any(s.by == party and s.claim == claim for s in facts.statements)


def to_agent(finding: Finding) -> Decision:
    """A rule that settles only that an agent must decide."""
    return Decision(
        outcome=Outcome.TO_AGENT,
        amount_cents=0,
        rules=(finding.rule,),
        rationale_zh=finding.text_zh,
        rationale_en=finding.text_en,
        evidence_ids=finding.evidence_ids,
        findings=(finding.render(),),
    )


def settle(
    facts: CaseFacts,
    outcome: Outcome,
    finding: Finding,
    amount: int | None = None,
    buyer_pays_return_shipping: bool = False,
    shipment_step: ShipmentStep | None = None,
) -> Decision:
    """A decision of `outcome` on `finding`'s grounds; money is capped, and with nothing to refund an agent looks."""
    cents = capped(facts, facts.amount_cents if amount is None else amount) if outcome in MONEY_OUTCOMES else 0
    if outcome in MONEY_OUTCOMES and cents == 0:
        return to_agent(
            Finding(
                finding.rule,
                f"{finding.text_zh}但订单已无可退金额。",
                f"{finding.text_en} But nothing is left to refund on the order.",
                finding.evidence_ids,
            )
        )
    return Decision(
        outcome=outcome,
        amount_cents=cents,
        rules=(finding.rule,),
        rationale_zh=finding.text_zh,
        rationale_en=finding.text_en,
        evidence_ids=finding.evidence_ids,
        buyer_pays_return_shipping=buyer_pays_return_shipping and outcome in (Outcome.RETURN_REFUND, Outcome.EXCHANGE),
        shipment_step=shipment_step,
    )


def grant(facts: CaseFacts, finding: Finding, buyer_pays_return_shipping: bool = False) -> Decision:
    """The buyer's request granted as asked (refund, return and refund, exchange, reship)."""
    outcome = REQUESTED.get(facts.kind)
    if outcome is None:
        return to_agent(finding)
    return settle(facts, outcome, finding, buyer_pays_return_shipping=buyer_pays_return_shipping)
