"""What the rule book answers: a decision that names its rules and evidence."""

from dataclasses import dataclass

from rulebook.enums import Outcome, Resolution, ShipmentStep

MONEY_OUTCOMES = frozenset({Outcome.REFUND, Outcome.PARTIAL_REFUND, Outcome.RETURN_REFUND})


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    amount_cents: int
    rules: tuple[str, ...]
    rationale_zh: str
    rationale_en: str
    evidence_ids: tuple[str, ...] = ()
    buyer_pays_return_shipping: bool = False
    findings: tuple[str, ...] = ()  # for `to_agent`: what the rules found, so the agent starts from there
    shipment_step: ShipmentStep | None = None  # cancel the order's shipment or intercept the parcel
    urgent: bool = False  # R-URGENT: raise the case in every queue
    resolutions: tuple[Resolution, ...] = ()  # R-URGENT: the fixes to offer, fastest first

    @property
    def moves_money(self) -> bool:
        return self.outcome in MONEY_OUTCOMES and self.amount_cents > 0
