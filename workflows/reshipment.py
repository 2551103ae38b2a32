"""The reshipment flow: the goods sent again through the fulfilment service, and the case following the new parcel.

A flow object with a narrow interface: the case workflow asks it for the call to make (`request`), carries the call
out as an activity, and records what `after` says. The parcel is a case parcel (`shipments.direction = replacement`,
with the case's id), so the logistics feed forwards its events and the goods' journey (`workflows/returns.py`)
resolves the case when it is delivered, or hands it to an agent when it stalls for T-STALL.

| step | status | awaiting | deadline |
| --- | --- | --- | --- |
| reship decided (rules, agent, accepted proposal) | replacement_in_transit | – (the courier) | T-STALL |
| the fulfilment service refused for good | in_arbitration | agent | T-AGENT |
| its tracking `delivered` | resolved | – | – |
"""

from dataclasses import dataclass
from typing import Any

from rulebook.enums import CaseStatus, ShipmentDirection
from workflows.messages import CaseShipment
from workflows.remedy_messages import RemedyAction, RemedyCall, RemedyReceipt


@dataclass(frozen=True)
class ReshipStep:
    """What to record: the timeline event, the status the case waits in, and the parcel it follows (if any)."""

    event_type: str
    data: dict[str, Any]
    status: CaseStatus
    parcel: CaseShipment | None = None


@dataclass
class Reshipment:
    case_id: str
    order_id: str
    attempts: int = 0

    def request(self, fastest: bool, nearest_stock: bool = False, warehouse: str | None = None) -> RemedyCall:
        """The next reshipment of the case's items; `fastest`: the fastest transport fulfilment offers;
        `nearest_stock`: from the nearest warehouse with stock of every item; `warehouse`: from this one. Each
        attempt has its own key."""
        self.attempts += 1
        key = f"case-{self.case_id}:reship:{self.attempts}"
        return RemedyCall(
            self.case_id,
            self.order_id,
            key,
            RemedyAction.RESHIP,
            fastest=fastest,
            nearest_stock=nearest_stock,
            warehouse=warehouse,
        )

    @staticmethod
    def after(receipt: RemedyReceipt) -> ReshipStep:
        base = {"business_key": receipt.business_key, "reference": receipt.reference}
        if not receipt.done:
            return ReshipStep("reshipment_failed", {**base, "reason": receipt.reason}, CaseStatus.IN_ARBITRATION)
        shipped = receipt.result
        data = {**base, **{f: shipped[f] for f in ("carrier", "tracking_no", "warehouse")}}
        parcel = CaseShipment(ShipmentDirection.REPLACEMENT, str(shipped["carrier"]), str(shipped["tracking_no"]))
        return ReshipStep("reshipment_created", data, CaseStatus.REPLACEMENT_IN_TRANSIT, parcel)
