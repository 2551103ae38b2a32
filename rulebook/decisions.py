"""What the rule book answers: a decision that names its rules and evidence."""

from dataclasses import dataclass

from rulebook.enums import Outcome


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

    @property
    def moves_money(self) -> bool:
        return self.outcome in (Outcome.REFUND, Outcome.PARTIAL_REFUND, Outcome.RETURN_REFUND) and self.amount_cents > 0
