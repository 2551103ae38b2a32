"""The platform's calls: the entry points the workflow, the validators and the API ask.

Provisional minimal version; the full rule set of product.md §6 replaces the bodies, not the signatures.
"""

from rulebook.decisions import Decision
from rulebook.enums import CaseKind, Outcome, ShipmentState
from rulebook.facts import CaseFacts


def on_open(facts: CaseFacts) -> Decision | None:
    """A decision the platform makes at once, without waiting on the merchant; None: wait for the merchant."""
    if facts.kind == CaseKind.REFUND_ONLY and facts.shipment == ShipmentState.NOT_SHIPPED:
        return Decision(
            outcome=Outcome.REFUND,
            amount_cents=min(facts.amount_cents, facts.paid_cents - facts.refunded_cents),
            rules=("R-SHIPPED-REFUND-ONLY",),
            rationale_zh="订单尚未发货,直接退款并取消发货。",
            rationale_en="The order has not shipped: refund at once and cancel the shipment.",
        )
    return None


def on_merchant_timeout(facts: CaseFacts) -> Decision:
    """R-TIMEOUT: the merchant let T-MERCHANT run out."""
    return Decision(
        outcome=Outcome.TO_AGENT,
        amount_cents=0,
        rules=("R-TIMEOUT",),
        rationale_zh="商家超时未处理,转平台客服裁决。",
        rationale_en="The merchant did not answer in time; an agent decides.",
    )
