"""Order exceptions (product.md §2, §5, §7): when one opens, and what the merchant's choice from the menu executes.

- A shipment is stalled when `rulebook.rules.shipment.stalled_event` names the event it is stuck on (T-STALL).
- A shipment is missed when a paid order is past its ship-by time with no shipment, and was not refunded in full
  (a refund before shipment cancels the shipment: nothing is owed any more).
- Choosing a resolution executes what can be executed exactly once: a coupon (or late-delivery compensation) to
  the buyer, paid through the money activity; a reshipment, a transfer or a faster transport is an instruction to the
  merchant (no fulfilment adapter exists), recorded with the merchant's note and proof. A similar item with the
  difference refunded needs the difference (`amount_cents`): refunded once through the order's ledger; without an
  amount it is refused rather than closed with nothing done.
"""

from dataclasses import dataclass
from datetime import datetime

from rulebook.decisions import Decision
from rulebook.enums import CaseKind, Outcome, Resolution
from rulebook.facts import Thresholds
from rulebook.rules.shipment import STALL

Res = Resolution

EXCEPTION_KINDS = frozenset({CaseKind.LOGISTICS_STALLED, CaseKind.MISSED_SHIPMENT, CaseKind.OVERSOLD})
CHOICE_RULE = "MERCHANT-RESOLUTION"  # the merchant's choice from the §7 menu

COUPONS = frozenset({Res.URGE_COURIER_COUPON, Res.LATE_DELIVERY_COMPENSATION, Res.RESHIP_MISSING_WITH_COUPON})
INSTRUCTIONS: dict[Resolution, str] = {
    Res.RESHIP_PAY_SHIPPING: "reship",
    Res.RESHIP_MISSING_WITH_COUPON: "reship",
    Res.SAME_DAY_LOCAL_RESHIP: "reship",
    Res.EMERGENCY_TRANSFER: "transfer",
    Res.FASTER_TRANSPORT: "faster_transport",
}
REFUNDS_AN_AMOUNT = frozenset({Res.RECOMMEND_SIMILAR_REFUND_DIFFERENCE})


def is_exception(kind: CaseKind) -> bool:
    return kind in EXCEPTION_KINDS


def shipment_missed(ship_by: datetime, shipped: bool, now: datetime, fully_refunded: bool = False) -> bool:
    """T-MISSED's check: a paid order past its ship-by time with no shipment, and not refunded in full."""
    if ship_by.tzinfo is None or now.tzinfo is None:
        raise ValueError("ship-by checks are made on timezone-aware times")
    return not shipped and not fully_refunded and now > ship_by


@dataclass(frozen=True)
class ResolutionPlan:
    """What choosing `resolution` does: the decision, the coupon it pays (0: none) and the instruction it records."""

    resolution: Resolution
    decision: Decision
    coupon_cents: int
    instruction: str | None
    refund_cents: int = 0


def executable(resolution: Resolution, amount_cents: int | None = None) -> bool:
    """A refund of a difference is carried out only with the difference."""
    return resolution not in REFUNDS_AN_AMOUNT or (amount_cents is not None and amount_cents > 0)


def plan(
    resolution: Resolution, coupon_cents: int | None, thresholds: Thresholds, amount_cents: int | None = None
) -> ResolutionPlan:
    """The merchant chose `resolution` (already checked against the menu)."""
    if not executable(resolution, amount_cents):
        raise ValueError(f"{resolution} cannot be carried out without an amount")
    if resolution in REFUNDS_AN_AMOUNT:
        assert amount_cents is not None
        return _refund_plan(resolution, amount_cents)
    coupon = (coupon_cents or thresholds.stall_coupon_cents) if resolution in COUPONS else 0
    instruction = INSTRUCTIONS.get(resolution)
    outcome = Outcome.RESHIP if instruction else Outcome.COUPON
    rules = (STALL, CHOICE_RULE) if resolution in (Res.URGE_COURIER_COUPON, Res.LATE_DELIVERY_COMPENSATION) else ()
    zh = f"商家选择处理方案:{resolution}" + (f",补偿买家{coupon / 100:g}元优惠券" if coupon else "") + "。"
    en = f"The merchant chose {resolution}" + (f"; the buyer gets a ¥{coupon / 100:g} coupon" if coupon else "") + "."
    decision = Decision(
        outcome=outcome,
        amount_cents=coupon,
        rules=rules or (CHOICE_RULE,),
        rationale_zh=zh,
        rationale_en=en,
        resolutions=(resolution,),
    )
    return ResolutionPlan(resolution, decision, coupon, instruction)


def _refund_plan(resolution: Resolution, amount_cents: int) -> ResolutionPlan:
    decision = Decision(
        outcome=Outcome.PARTIAL_REFUND,
        amount_cents=amount_cents,
        rules=(CHOICE_RULE,),
        rationale_zh=f"商家选择处理方案:{resolution},推荐相似商品并退还差价{amount_cents / 100:g}元。",
        rationale_en=f"The merchant chose {resolution}: a similar item, and the difference of "
        f"¥{amount_cents / 100:g} refunded.",
        resolutions=(resolution,),
    )
    return ResolutionPlan(resolution, decision, 0, None, refund_cents=amount_cents)
