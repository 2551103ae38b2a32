"""An exchange checks stock before the buyer is asked to send the goods back: with no warehouse holding the items,
the buyer is offered the refund instead, as a proposal they accept (`accept_proposal`) or decline (an agent steps in).

A flow object with a narrow interface, like `workflows/reshipment.py`: `request` is the fulfilment call
(`case-<id>:stock:N`), `after` says what to record and whether the return goes ahead.
"""

from dataclasses import dataclass
from typing import Any

from rulebook.enums import Outcome
from workflows.remedy_messages import RemedyAction, RemedyCall, RemedyReceipt


@dataclass(frozen=True)
class StockFound:
    in_stock: bool
    failed: bool
    data: dict[str, Any]


@dataclass
class ExchangeStock:
    case_id: str
    order_id: str
    attempts: int = 0

    def request(self) -> RemedyCall:
        self.attempts += 1
        key = f"case-{self.case_id}:stock:{self.attempts}"
        return RemedyCall(self.case_id, self.order_id, key, RemedyAction.STOCK)

    @staticmethod
    def after(receipt: RemedyReceipt) -> StockFound:
        if not receipt.done:
            data = {"business_key": receipt.business_key, "reason": receipt.reason}
            return StockFound(False, True, data)
        stock: dict[str, dict[str, int]] = receipt.result.get("stock", {})
        warehouses = set.intersection(*({w for w, n in units.items() if n > 0} for units in stock.values()))
        found = sorted(warehouses) if stock else []
        return StockFound(bool(found), False, {"business_key": receipt.business_key, "stock": stock, "in": found})

    @staticmethod
    def refund_offer(refundable_cents: int) -> dict[str, object]:
        return {
            "outcome": Outcome.REFUND,
            "amount_cents": refundable_cents,
            "message": "换货商品暂无库存,为您改为退款。/ The replacement is out of stock everywhere: a refund instead.",
        }
