"""A `not_received` case opens by gathering what R-NOT-RECEIVED weighs: the courier's delivery record (a photo proof
reference or none, `case-<id>:delivery_record:1`), the buyer asked for their proof (the pickup code, the locker or
collection-point slip), and the merchant asked to check with the courier. A flow object: `request` is the courier
call, `after` the events to record."""

from dataclasses import dataclass
from typing import Any

from rulebook.enums import Party
from workflows.remedy_messages import RemedyAction, RemedyCall, RemedyReceipt

BUYER_PROOF = "取件码、快递柜或驿站的签收凭证截图 / the pickup code, or the locker or collection-point slip"
MERCHANT_CHECK = "向快递核实派送情况 / check the delivery with the courier"


@dataclass
class NotReceived:
    case_id: str
    order_id: str

    def request(self) -> RemedyCall:
        key = f"case-{self.case_id}:delivery_record:1"
        return RemedyCall(self.case_id, self.order_id, key, RemedyAction.DELIVERY_RECORD)

    @staticmethod
    def after(receipt: RemedyReceipt, deadline: str | None) -> list[tuple[str, dict[str, Any]]]:
        record: dict[str, Any] = {"business_key": receipt.business_key, "reference": receipt.reference}
        if receipt.done:
            record |= {k: receipt.result.get(k) for k in ("carrier", "tracking_no", "photo_ref")}
            record["evidence"] = "system"
        else:
            record["reason"] = receipt.reason
        return [
            ("courier_delivery_record" if receipt.done else "delivery_record_failed", record),
            ("evidence_requested", {"from": Party.BUYER, "what": BUYER_PROOF, "deadline": deadline}),
            ("evidence_requested", {"from": Party.MERCHANT, "what": MERCHANT_CHECK, "deadline": deadline}),
        ]
