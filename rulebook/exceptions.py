"""Order exceptions (product.md §2, §5, §7): when one opens, and what the merchant's choice from the menu executes.

- A shipment is stalled when `rulebook.rules.shipment.stalled_event` names the event it is stuck on (T-STALL).
- A shipment is missed when a paid order is past its ship-by time with no shipment, and was not refunded in full
  (a refund before shipment cancels the shipment: nothing is owed any more).
- Choosing a resolution executes it exactly once: a coupon (or late-delivery compensation) to the buyer, paid
  through the money activity; the courier urged (its ticket kept as system evidence); a reshipment through the
  fulfilment service (an emergency transfer ships from the nearest warehouse with stock, fastest); a faster transport
  for the parcel; a similar item recommended and the difference refunded (the amount is required) through the ledger.
  See `workflows/resolutions.py`.
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
COURIER_URGES = frozenset({Res.URGE_COURIER_COUPON})
REFUNDS_DIFFERENCE = frozenset({Res.RECOMMEND_SIMILAR_REFUND_DIFFERENCE})


def is_exception(kind: CaseKind) -> bool:
    return kind in EXCEPTION_KINDS


def shipment_missed(ship_by: datetime, shipped: bool, now: datetime, fully_refunded: bool = False) -> bool:
    """T-MISSED's check: a paid order past its ship-by time with no shipment, and not refunded in full."""
    if ship_by.tzinfo is None or now.tzinfo is None:
        raise ValueError("ship-by checks are made on timezone-aware times")
    return not shipped and not fully_refunded and now > ship_by


@dataclass(frozen=True)
class ResolutionPlan:
    """What choosing `resolution` does: the decision, the coupon it pays (0: none), the goods it moves
    (`instruction`), the refund of a difference (0: none) and whether the courier is urged."""

    resolution: Resolution
    decision: Decision
    coupon_cents: int
    instruction: str | None
    refund_cents: int = 0
    urge_courier: bool = False


def needs_amount(resolution: Resolution) -> bool:
    """A refund of a difference names its amount: the service never guesses one."""
    return resolution in REFUNDS_DIFFERENCE


def plan(
    resolution: Resolution, coupon_cents: int | None, thresholds: Thresholds, refund_cents: int | None = None
) -> ResolutionPlan:
    """The merchant chose `resolution` (already checked against the menu)."""
    if needs_amount(resolution) and not refund_cents:
        raise ValueError(f"{resolution} needs the amount of the difference")
    coupon = (coupon_cents or thresholds.stall_coupon_cents) if resolution in COUPONS else 0
    instruction = INSTRUCTIONS.get(resolution)
    refund = (refund_cents or 0) if needs_amount(resolution) else 0
    outcome = Outcome.RESHIP if instruction else Outcome.PARTIAL_REFUND if refund else Outcome.COUPON
    rules = (STALL, CHOICE_RULE) if resolution in (Res.URGE_COURIER_COUPON, Res.LATE_DELIVERY_COMPENSATION) else ()
    zh = f"商家选择处理方案:{resolution}" + (f",补偿买家{coupon / 100:g}元优惠券" if coupon else "")
    zh += f",退还差价{refund / 100:g}元。" if refund else "。"
    en = f"The merchant chose {resolution}" + (f"; the buyer gets a ¥{coupon / 100:g} coupon" if coupon else "")
    en += f"; the difference of ¥{refund / 100:g} is refunded." if refund else "."
    decision = Decision(
        outcome=outcome,
        amount_cents=refund or coupon,
        rules=rules or (CHOICE_RULE,),
        rationale_zh=zh,
        rationale_en=en,
        resolutions=(resolution,),
    )
    return ResolutionPlan(resolution, decision, coupon, instruction, refund, resolution in COURIER_URGES)
