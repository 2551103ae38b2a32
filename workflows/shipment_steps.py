"""What a decision does to the order's own shipment (`Decision.shipment_step`), as small flow objects the case
workflow calls: each builds its fulfilment or courier call and says what to record of its receipt.

- `CancelFulfilment`: an order not shipped yet is refunded and its fulfilment cancelled (`case-<id>:cancel:1`).
- `Interception` (拦截): a refund_only on a parcel in transit asks the courier to bring it back
  (`case-<id>:intercept:N`). Accepted: the case follows the parcel (`return_in_transit`, T-STALL without movement
  hands it to an agent) and refunds once when tracking says `returned`. Refused, too late, or delivered in the
  meantime: the delivered path, the merchant and the buyer negotiate (`awaiting_merchant`, T-MERCHANT).

| step | status | awaiting | deadline |
| --- | --- | --- | --- |
| interception accepted, each tracking event | return_in_transit | – (the courier) | T-STALL |
| tracking `returned` | resolved (refund executed) | – | – |
| interception refused / too late, or tracking `delivered` | awaiting_merchant | merchant | T-MERCHANT |
| a call refused for good | in_arbitration | agent | T-AGENT |
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from rulebook.enums import CaseStatus, ShipmentDirection, TrackingStatus
from workflows.messages import CaseShipment
from workflows.remedy_messages import RemedyAction, RemedyCall, RemedyReceipt


@dataclass(frozen=True)
class StepRecord:
    """What to record: the timeline event, the status the case goes to, and the parcel it now follows (if any)."""

    event_type: str
    data: dict[str, Any]
    status: CaseStatus
    parcel: CaseShipment | None = None


def _base(receipt: RemedyReceipt) -> dict[str, Any]:
    return {"business_key": receipt.business_key, "reference": receipt.reference}


@dataclass
class CancelFulfilment:
    case_id: str
    order_id: str

    def request(self) -> RemedyCall:
        key = f"case-{self.case_id}:cancel:1"
        return RemedyCall(self.case_id, self.order_id, key, RemedyAction.CANCEL_FULFILMENT)

    @staticmethod
    def after(receipt: RemedyReceipt) -> StepRecord:
        if not receipt.done:
            data = {**_base(receipt), "reason": receipt.reason}
            return StepRecord("fulfilment_cancel_failed", data, CaseStatus.IN_ARBITRATION)
        return StepRecord("fulfilment_cancelled", _base(receipt), CaseStatus.RESOLVED)


class ParcelMove(StrEnum):
    RETURNED = "returned"  # back with the merchant: refund
    DELIVERED = "delivered"  # reached the buyer after all: negotiate
    MOVING = "moving"  # still travelling: T-STALL starts again


@dataclass
class Interception:
    case_id: str
    order_id: str
    attempts: int = 0
    refund_cents: int = 0  # what the decision refunds once the parcel is back

    def request(self, refund_cents: int) -> RemedyCall:
        self.attempts += 1
        self.refund_cents = refund_cents
        key = f"case-{self.case_id}:intercept:{self.attempts}"
        return RemedyCall(self.case_id, self.order_id, key, RemedyAction.INTERCEPT)

    @staticmethod
    def after(receipt: RemedyReceipt) -> StepRecord:
        base = {
            **_base(receipt),
            "carrier": receipt.result.get("carrier"),
            "tracking_no": receipt.result.get("tracking_no"),
        }
        if not receipt.done:
            return StepRecord("interception_failed", {**base, "reason": receipt.reason}, CaseStatus.IN_ARBITRATION)
        outcome = str(receipt.result["outcome"])
        if outcome != "accepted":
            return StepRecord("interception_refused", {**base, "outcome": outcome}, CaseStatus.AWAITING_MERCHANT)
        parcel = CaseShipment(ShipmentDirection.OUTBOUND, str(base["carrier"]), str(base["tracking_no"]))
        return StepRecord("parcel_intercepted", {**base, "outcome": outcome}, CaseStatus.RETURN_IN_TRANSIT, parcel)

    @staticmethod
    def on_tracking(status: TrackingStatus) -> ParcelMove:
        if status == TrackingStatus.RETURNED:
            return ParcelMove.RETURNED
        if status == TrackingStatus.DELIVERED:
            return ParcelMove.DELIVERED
        return ParcelMove.MOVING
