"""Rules about where the parcel is: R-SHIPPED-REFUND-ONLY, R-NOT-RECEIVED and R-STALL.

- The courier's delivery proof is a `delivered` tracking event with `proof_kind == "photo"`, the photo of the
  delivery record fetched from the courier when a `not_received` case opened (`facts.delivery_record`), or a
  `courier_record` the merchant or an agent put on file; a fetched record without a photo is no proof. Anything
  the buyer uploaded (locker pickup code, collection-point slip, a photo of the door) is counter-evidence against it.
- "Not delivered" is what the tracking says last (no `delivered` event, or a later `returned` or `exception`), or the
  merchant reporting that the courier confirmed it (`Claim.COURIER_NOT_DELIVERED`).
- A shipment is stalled when its last tracking event, not a final one, is at least T-STALL old (§2: ≥ 72 h).
"""

from datetime import datetime, timedelta

from rulebook.decisions import Decision
from rulebook.enums import (
    CaseKind,
    Claim,
    EvidenceKind,
    Outcome,
    Party,
    ReasonCode,
    Resolution,
    ShipmentState,
    ShipmentStep,
    TrackingStatus,
)
from rulebook.facts import CaseFacts, TrackingEvent
from rulebook.rules.common import Finding, Verdict, evidence_by, said, settle, to_agent

REFUND_ONLY = "R-SHIPPED-REFUND-ONLY"
NOT_RECEIVED = "R-NOT-RECEIVED"
STALL = "R-STALL"

PHOTO_PROOF = "photo"
FINAL_TRACKING = frozenset({TrackingStatus.DELIVERED, TrackingStatus.RETURNED})


def not_shipped(facts: CaseFacts) -> Verdict:
    """refund_only before shipment: refund at once and cancel the shipment (product.md §5)."""
    if facts.kind != CaseKind.REFUND_ONLY or facts.shipment != ShipmentState.NOT_SHIPPED:
        return None
    finding = Finding(
        REFUND_ONLY,
        "订单尚未发货,直接退款并取消发货。",
        "The order has not shipped: refund at once and cancel the shipment.",
    )
    return settle(facts, Outcome.REFUND, finding, shipment_step=ShipmentStep.CANCEL_SHIPMENT)


def shipped(facts: CaseFacts) -> Verdict:
    """refund_only after shipment: in transit → intercept and refund; delivered → the parties negotiate."""
    if facts.kind != CaseKind.REFUND_ONLY or facts.shipment == ShipmentState.NOT_SHIPPED:
        return None
    if facts.shipment == ShipmentState.IN_TRANSIT:
        finding = Finding(
            REFUND_ONLY,
            "包裹尚未签收,拦截包裹并退款。",
            "The parcel has not been delivered: intercept it and refund.",
        )
        return settle(facts, Outcome.REFUND, finding, shipment_step=ShipmentStep.INTERCEPT_PARCEL)
    return Finding(
        REFUND_ONLY,
        "已签收的仅退款需买卖双方协商,协商不成由平台客服裁决。",
        "Refund-only after delivery: the merchant and the buyer negotiate; unresolved, an agent decides.",
    )


def last_event(tracking: tuple[TrackingEvent, ...]) -> TrackingEvent | None:
    return max(tracking, key=lambda e: e.at, default=None)


def delivery_proof(facts: CaseFacts) -> tuple[str, ...]:
    """The courier's delivery photo refs and courier records on file; empty when the courier has none."""
    photos = tuple(
        e.proof_ref or f"tracking:{e.at.isoformat()}"
        for e in facts.tracking
        if e.status == TrackingStatus.DELIVERED and e.proof_kind == PHOTO_PROOF
    )
    records = evidence_by(facts, Party.MERCHANT, EvidenceKind.COURIER_RECORD)
    record = facts.delivery_record
    fetched = (f"courier_record:{record.reference}",) if record is not None and record.photo_ref else ()
    return photos + fetched + records + evidence_by(facts, Party.AGENT, EvidenceKind.COURIER_RECORD)


def record_without_photo(facts: CaseFacts) -> tuple[str, ...]:
    """The courier's fetched delivery record when it has no photo proof: what the lean to the buyer rests on."""
    record = facts.delivery_record
    return (f"courier_record:{record.reference}",) if record is not None and not record.photo_ref else ()


def shows_delivered(facts: CaseFacts) -> bool:
    """Whether the parcel counts as delivered: the last tracking event says so and nobody found otherwise."""
    if said(facts, Party.MERCHANT, Claim.COURIER_NOT_DELIVERED):
        return False
    last = last_event(facts.tracking)
    if last is None:
        return facts.shipment == ShipmentState.DELIVERED
    return last.status == TrackingStatus.DELIVERED


def not_received(facts: CaseFacts) -> Verdict:
    """R-NOT-RECEIVED: tracking says delivered, the buyer says not; its three branches."""
    if facts.kind != CaseKind.NOT_RECEIVED and facts.reason != ReasonCode.NOT_RECEIVED:
        return None
    proof, counter = delivery_proof(facts), evidence_by(facts, Party.BUYER)
    if not shows_delivered(facts):
        zh = "包裹确未送达:商家承担运费重新发货。"
        en = "The parcel was not delivered: the merchant reships at its own cost."
        return _lean_to_buyer(facts, Finding(NOT_RECEIVED, zh, en, counter))
    if not proof:
        zh = "快递无签收拍照等派件凭证,倾向买家:商家重新发货或退款。"
        en = "The courier has no proof of delivery: lean to the buyer; the merchant reships or refunds."
        return _lean_to_buyer(facts, Finding(NOT_RECEIVED, zh, en, record_without_photo(facts) + counter))
    if counter:
        zh = "买家提供了反证(取件码、代收点凭证等),快递签收照片存疑,倾向买家:商家重新发货或退款。"
        en = "The buyer's counter-evidence contests the courier's delivery photo: lean to the buyer; reship or refund."
        return _lean_to_buyer(facts, Finding(NOT_RECEIVED, zh, en, counter + proof))
    zh = "快递有送达买家地址或快递柜的拍照凭证,买家无反证,转平台客服核实。"
    en = "The courier's photo shows delivery to the buyer's address or locker, no counter-evidence: an agent decides."
    return to_agent(Finding(NOT_RECEIVED, zh, en, proof))


def _lean_to_buyer(facts: CaseFacts, finding: Finding) -> Decision:
    """A refund_only case gets its refund; any other gets the goods reshipped at the merchant's cost."""
    return settle(facts, Outcome.REFUND if facts.kind == CaseKind.REFUND_ONLY else Outcome.RESHIP, finding)


def stalled_event(tracking: tuple[TrackingEvent, ...], now: datetime, stall: timedelta) -> TrackingEvent | None:
    """The tracking event the shipment has been stuck on for at least `stall`, or None."""
    last = last_event(tracking)
    if last is None or last.status in FINAL_TRACKING or now - last.at < stall:
        return None
    return last


def stall(facts: CaseFacts) -> Verdict:
    """R-STALL: the merchant urges the courier and the buyer gets a no-threshold coupon."""
    if facts.kind != CaseKind.LOGISTICS_STALLED:
        return None
    if facts.tracking and stalled_event(facts.tracking, facts.now, facts.timers.stall) is None:
        return Finding(STALL, "物流已恢复更新,不再停滞。", "Tracking moved again; the shipment is no longer stalled.")
    coupon = facts.thresholds.stall_coupon_cents
    return Decision(
        outcome=Outcome.COUPON,
        amount_cents=coupon,
        rules=(STALL,),
        rationale_zh=f"物流停滞超过{_hours(facts.timers.stall)}小时:商家催促快递,补偿买家{coupon / 100:g}元无门槛券。",
        rationale_en=f"Tracking stalled for over {_hours(facts.timers.stall)} h: the merchant urges the courier and "
        f"the buyer gets a no-threshold coupon of ¥{coupon / 100:g}.",
        resolutions=(Resolution.URGE_COURIER_COUPON,),
    )


def _hours(wait: timedelta) -> int:
    return int(wait.total_seconds() // 3600)
