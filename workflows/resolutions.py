"""The §7 menu carried out: the fulfilment or courier call a merchant's resolution makes, and what to record of it.

A flow object with a narrow interface, like `workflows/reshipment.py`: the case workflow asks it for the call
(`request`), carries it out once as an activity, and records what `after` says. A reshipment (paid shipping, the
missing item, same-day local, an emergency transfer) goes through `Reshipment` instead, so the case follows its parcel.

| resolution | call | recorded |
| --- | --- | --- |
| urge_courier_coupon | courier urge (`case-<id>:urge:N`) | `courier_urged` with the ticket, kept as system evidence |
| faster_transport | fulfilment transport upgrade (`case-<id>:upgrade:N`) | `transport_upgraded` |
"""

from dataclasses import dataclass
from typing import Any

from workflows.remedy_messages import RemedyAction, RemedyCall, RemedyReceipt

EVENTS = {RemedyAction.URGE: "courier_urged", RemedyAction.UPGRADE_TRANSPORT: "transport_upgraded"}
KEYS = {RemedyAction.URGE: "urge", RemedyAction.UPGRADE_TRANSPORT: "upgrade"}


@dataclass(frozen=True)
class Recorded:
    event_type: str
    data: dict[str, Any]
    done: bool


@dataclass
class ParcelRemedies:
    """Calls on the order's own parcel (the activity finds it): urging the courier, a faster transport."""

    case_id: str
    order_id: str
    attempts: int = 0

    def request(self, action: RemedyAction) -> RemedyCall:
        self.attempts += 1
        key = f"case-{self.case_id}:{KEYS[action]}:{self.attempts}"
        return RemedyCall(self.case_id, self.order_id, key, action)

    @staticmethod
    def after(receipt: RemedyReceipt) -> Recorded:
        data: dict[str, Any] = {
            "business_key": receipt.business_key,
            "reference": receipt.reference,
            "carrier": receipt.result.get("carrier"),
            "tracking_no": receipt.result.get("tracking_no"),
        }
        if not receipt.done:
            return Recorded(f"{receipt.action}_failed", {**data, "reason": receipt.reason}, False)
        if receipt.action == RemedyAction.URGE:
            data["evidence"] = "system"  # the courier's ticket backs the stall in any later ruling
        return Recorded(EVENTS[receipt.action], data, True)
