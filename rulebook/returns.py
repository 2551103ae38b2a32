"""Goods that go back (product.md §5, return_refund and exchange): where each step of the return leads.

The money (or the replacement) waits for the goods: a granted `return_refund` or `exchange` first sends the case
to the buyer for the return shipment (T-BUYER-SHIP, warned 24 h before; silence closes the request as withdrawn),
then to the courier (T-STALL without a tracking event hands the case to an agent), then to the merchant to confirm
receipt (T-RECEIPT; silence confirms it for them). A good condition refunds at once (T-REFUND) or asks the merchant
for the replacement (T-MERCHANT), whose delivery closes the case; a bad one is the platform's to decide (T-AGENT).
"""

from dataclasses import dataclass
from enum import StrEnum

from rulebook.commands import merchant_approval
from rulebook.decisions import Decision
from rulebook.enums import Action, CaseKind, CaseStatus, Outcome, ShipmentDirection, TrackingStatus
from rulebook.timers import TimerId

S = CaseStatus
RETURN_KINDS = frozenset({CaseKind.RETURN_REFUND, CaseKind.EXCHANGE})
GOODS_ACTIONS = frozenset({Action.SHIP_RETURN, Action.CONFIRM_RECEIPT, Action.SHIP_REPLACEMENT})

# The wait each status of the goods' journey starts (who lets it run out: `transitions.AWAITING`, else the courier).
WAITS: dict[CaseStatus, TimerId] = {
    S.AWAITING_RETURN_SHIPMENT: TimerId.T_BUYER_SHIP,
    S.RETURN_IN_TRANSIT: TimerId.T_STALL,
    S.AWAITING_RECEIPT: TimerId.T_RECEIPT,
    S.AWAITING_REPLACEMENT: TimerId.T_MERCHANT,
    S.REPLACEMENT_IN_TRANSIT: TimerId.T_STALL,
    S.IN_ARBITRATION: TimerId.T_AGENT,
}
GOODS_WAITS = frozenset(WAITS) - {S.IN_ARBITRATION}


class Stage(StrEnum):
    """How far the returned goods have come."""

    AWAITED = "awaited"  # not sent yet: the buyer may still withdraw
    SENT = "sent"  # handed to the courier
    DELIVERED = "delivered"  # tracking says the merchant has them
    RECEIVED = "received"  # the merchant (or T-RECEIPT) confirmed receipt


@dataclass(frozen=True)
class Step:
    """Where the case goes next; `refund`: the granted refund executes now, before the case closes."""

    status: CaseStatus
    refund: bool = False

    @property
    def timer(self) -> TimerId | None:
        return WAITS.get(self.status)


def approval(kind: CaseKind, asked_cents: int, refundable_cents: int) -> Decision:
    """A merchant's approval: a return_refund or an exchange is granted as such (goods first); else a refund."""
    if kind not in RETURN_KINDS:
        return merchant_approval(asked_cents, refundable_cents)
    exchange = kind == CaseKind.EXCHANGE
    return Decision(
        outcome=Outcome.EXCHANGE if exchange else Outcome.RETURN_REFUND,
        amount_cents=0 if exchange else min(asked_cents, refundable_cents),
        rules=(),
        rationale_zh="商家同意换货,请买家寄回商品。" if exchange else "商家同意退货退款,请买家寄回商品。",
        rationale_en="The merchant approved the exchange; the goods go back first."
        if exchange
        else "The merchant approved the return; the refund follows the goods' receipt.",
    )


def after_grant(kind: CaseKind, outcome: Outcome, stage: Stage) -> Step | None:
    """Where a granted decision leads on a return or an exchange; None: it is settled at once (money or not)."""
    goods_back = outcome == Outcome.RETURN_REFUND or (outcome == Outcome.EXCHANGE and kind == CaseKind.EXCHANGE)
    if kind not in RETURN_KINDS or not goods_back:
        return None
    if stage == Stage.AWAITED:
        return Step(S.AWAITING_RETURN_SHIPMENT)
    if stage == Stage.SENT:
        return Step(S.RETURN_IN_TRANSIT)
    if stage == Stage.DELIVERED:
        return Step(S.AWAITING_RECEIPT)
    return on_receipt(outcome, condition_ok=True)


def on_return_shipped() -> Step:
    return Step(S.RETURN_IN_TRANSIT)


def on_receipt(outcome: Outcome, condition_ok: bool) -> Step:
    """The merchant checked the returned goods. Not as they should be: the platform steps in with the merchant's
    note and evidence (never decided against the buyer by the merchant alone)."""
    if not condition_ok:
        return Step(S.IN_ARBITRATION)
    if outcome == Outcome.EXCHANGE:
        return Step(S.AWAITING_REPLACEMENT)
    return Step(S.RESOLVED, refund=True)  # T-REFUND: at once


def on_replacement_shipped() -> Step:
    return Step(S.REPLACEMENT_IN_TRANSIT)


def on_tracking(direction: ShipmentDirection, tracking: TrackingStatus, status: CaseStatus) -> Step | None:
    """A tracking event of the return or the replacement. While that parcel travels, `delivered` moves the case
    on and any other event restarts the T-STALL wait; otherwise the event is only recorded (None)."""
    travelling = S.RETURN_IN_TRANSIT if direction == ShipmentDirection.RETURN else S.REPLACEMENT_IN_TRANSIT
    if status != travelling:
        return None
    if tracking != TrackingStatus.DELIVERED:
        return Step(travelling)
    return Step(S.AWAITING_RECEIPT) if direction == ShipmentDirection.RETURN else Step(S.RESOLVED)


def stage_after_tracking(stage: Stage, direction: ShipmentDirection, tracking: TrackingStatus) -> Stage:
    if direction == ShipmentDirection.RETURN and tracking == TrackingStatus.DELIVERED and stage == Stage.SENT:
        return Stage.DELIVERED
    return stage


def after_silence(status: CaseStatus, outcome: Outcome) -> Step:
    """The wait of `status` ran out: an unshipped return closes as withdrawn, an unconfirmed receipt is confirmed
    for the merchant, and a stalled parcel or an unshipped replacement goes to an agent."""
    if status == S.AWAITING_RETURN_SHIPMENT:
        return Step(S.WITHDRAWN)
    if status == S.AWAITING_RECEIPT:
        return on_receipt(outcome, condition_ok=True)
    return Step(S.IN_ARBITRATION)


def refund_cents(granted_cents: int, refundable_cents: int) -> int:
    """What the receipt refunds: what was granted, never more than is left to refund."""
    return max(0, min(granted_cents, refundable_cents))
