"""Payloads between the case workflow and the remedy activity (fulfilment and courier calls)."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class RemedyAction(StrEnum):
    CANCEL_FULFILMENT = "cancel_fulfilment"
    RESHIP = "reship"
    STOCK = "stock"
    TRANSFER = "transfer"
    UPGRADE_TRANSPORT = "upgrade_transport"
    INTERCEPT = "intercept"
    URGE = "urge"
    DELIVERY_RECORD = "delivery_record"


REMEDY_ZH = {
    RemedyAction.CANCEL_FULFILMENT: "取消发货",
    RemedyAction.RESHIP: "补发",
    RemedyAction.STOCK: "查询库存",
    RemedyAction.TRANSFER: "紧急调拨",
    RemedyAction.UPGRADE_TRANSPORT: "升级运输方式",
    RemedyAction.INTERCEPT: "快递拦截",
    RemedyAction.URGE: "催促快递",
    RemedyAction.DELIVERY_RECORD: "调取签收记录",
}


@dataclass(frozen=True)
class ItemQuantity:
    sku: str
    quantity: int


@dataclass(frozen=True)
class RemedyCall:
    """One call to the fulfilment service or the courier, done once per `business_key` (`case-<id>:reship:1`)."""

    case_id: str
    order_id: str
    business_key: str
    action: RemedyAction
    items: tuple[ItemQuantity, ...] = ()  # reship; stock and transfer take the first
    carrier: str = ""  # intercept, urge, delivery_record, upgrade_transport
    tracking_no: str = ""
    warehouse: str | None = None  # reship from; transfer to
    from_warehouse: str | None = None  # transfer
    fastest: bool = False  # reship: the fastest transport fulfilment offers
    nearest_stock: bool = False  # reship: from the nearest warehouse with stock (fulfilment lists nearest first)


class RemedyOutcome(StrEnum):
    DONE = "done"
    FAILED = "failed"  # refused for good: the case goes to an agent with `reason`


@dataclass(frozen=True)
class RemedyReceipt:
    business_key: str
    action: RemedyAction
    status: RemedyOutcome
    reference: str = ""  # the service's reference: on the timeline
    reason: str = ""
    result: dict[str, Any] = field(default_factory=dict)  # carrier, tracking_no, warehouse, outcome, photo_ref, stock

    @property
    def done(self) -> bool:
        return self.status == RemedyOutcome.DONE
