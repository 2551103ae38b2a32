"""The emergency transfer of §7 carried out: stock moved once (`case-<id>:transfer:1`) from the nearest warehouse
that holds it to the order's own warehouse (activities/stock_transfer.py), on the timeline with the fulfilment
service's reference, before the reshipment ships from there. A flow object: `request` is the call, `after` what to
record and where the reshipment ships from.

| transfer | timeline | then |
| --- | --- | --- |
| made | `stock_transferred` (reference, from, to, basis) | reshipment from the order's warehouse, fastest |
| none needed (no order warehouse, or it holds the stock) | `transfer_not_needed` (reason) | reshipment as before |
| refused for good (no stock anywhere) | `transfer_failed` (reason) | an agent, T-AGENT |
"""

from dataclasses import dataclass
from typing import Any

from workflows.remedy_messages import RemedyAction, RemedyCall, RemedyReceipt


@dataclass(frozen=True)
class TransferStep:
    event_type: str
    data: dict[str, Any]
    done: bool
    ship_from: str | None = None  # the warehouse the reshipment ships from; None: the nearest with stock


@dataclass(frozen=True)
class EmergencyTransfer:
    case_id: str
    order_id: str

    def request(self) -> RemedyCall:
        key = f"case-{self.case_id}:transfer:1"
        return RemedyCall(self.case_id, self.order_id, key, RemedyAction.TRANSFER)

    @staticmethod
    def after(receipt: RemedyReceipt) -> TransferStep:
        base = {"business_key": receipt.business_key, "reference": receipt.reference}
        if not receipt.done:
            return TransferStep("transfer_failed", {**base, "reason": receipt.reason}, done=False)
        moved = {**base, **receipt.result}
        if moved.get("transferred"):
            return TransferStep("stock_transferred", moved, done=True, ship_from=str(moved["to_warehouse"]))
        ship_from = moved.get("to_warehouse")
        return TransferStep("transfer_not_needed", moved, done=True, ship_from=str(ship_from) if ship_from else None)
