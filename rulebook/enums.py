"""The product's vocabulary (spec/product.md, spec/api.md), shared by every layer.

Plain `StrEnum`s from the standard library so that the pure rule book, the workflow sandbox,
the SQL models and the API schemas can all import them.
"""

from enum import StrEnum


class Role(StrEnum):
    BUYER = "buyer"
    MERCHANT = "merchant"
    AGENT = "agent"
    SYSTEM = "system"


class CaseKind(StrEnum):
    REFUND_ONLY = "refund_only"
    RETURN_REFUND = "return_refund"
    EXCHANGE = "exchange"
    NOT_RECEIVED = "not_received"
    LOGISTICS_STALLED = "logistics_stalled"
    MISSED_SHIPMENT = "missed_shipment"
    OVERSOLD = "oversold"


class CaseStatus(StrEnum):
    AWAITING_MERCHANT = "awaiting_merchant"
    AWAITING_BUYER = "awaiting_buyer"
    AWAITING_RETURN_SHIPMENT = "awaiting_return_shipment"
    RETURN_IN_TRANSIT = "return_in_transit"
    AWAITING_RECEIPT = "awaiting_receipt"
    AWAITING_REPLACEMENT = "awaiting_replacement"
    REPLACEMENT_IN_TRANSIT = "replacement_in_transit"  # exchange: the replacement is on its way to the buyer
    IN_ARBITRATION = "in_arbitration"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"  # closed from outside the product's flow: a cancel request or a repaired orphan

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset({CaseStatus.RESOLVED, CaseStatus.REJECTED, CaseStatus.WITHDRAWN, CaseStatus.CANCELLED})


class Party(StrEnum):
    """Who must act now (`awaiting` on a case)."""

    BUYER = "buyer"
    MERCHANT = "merchant"
    AGENT = "agent"


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    PROPOSE = "propose"
    ACCEPT_PROPOSAL = "accept_proposal"
    DECLINE_PROPOSAL = "decline_proposal"
    SHIP_RETURN = "ship_return"
    CONFIRM_RECEIPT = "confirm_receipt"
    SHIP_REPLACEMENT = "ship_replacement"
    RESOLVE = "resolve"
    ESCALATE = "escalate"
    WITHDRAW = "withdraw"
    MESSAGE = "message"
    DECIDE = "decide"
    EXTEND = "extend"  # the merchant's one extension of the running deadline (rulebook/deadlines.py)
    INTERCEPT = "intercept"  # refund_only, parcel in transit: the courier brings it back (workflows/shipment_steps.py)
    REQUEST_EVIDENCE = "request_evidence"  # the case waits on the asked party (rulebook/evidence_requests.py)


class Outcome(StrEnum):
    REFUND = "refund"
    PARTIAL_REFUND = "partial_refund"
    RETURN_REFUND = "return_refund"
    RESHIP = "reship"
    EXCHANGE = "exchange"
    COUPON = "coupon"
    REJECT = "reject"
    TO_AGENT = "to_agent"


class EvidenceKind(StrEnum):
    PHOTO = "photo"
    CHAT_LOG = "chat_log"
    LOGISTICS_SCREENSHOT = "logistics_screenshot"
    COMPENSATION_RECEIPT = "compensation_receipt"
    COURIER_RECORD = "courier_record"
    OTHER = "other"
    SYSTEM = "system"  # captured by the platform (workflows/system_evidence.py), never uploaded


class TrackingStatus(StrEnum):
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    RETURNED = "returned"


class ShipmentDirection(StrEnum):
    """Which way a parcel goes: the order's own shipment, a buyer's return, an exchange's replacement."""

    OUTBOUND = "outbound"
    RETURN = "return"
    REPLACEMENT = "replacement"


class ShipmentState(StrEnum):
    """Where the order's goods are, as far as the rule book cares."""

    NOT_SHIPPED = "not_shipped"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"


class ReasonCode(StrEnum):
    """Why the buyer asks; `POST /cases` `reason` takes one of these (free text goes in `description`)."""

    NO_REASON = "no_reason"  # 七天无理由
    NOT_AS_DESCRIBED = "not_as_described"
    QUALITY_DEFECT = "quality_defect"
    DAMAGED = "damaged"
    EXPIRED = "expired"
    FADED_AFTER_WASH = "faded_after_wash"
    NOT_RECEIVED = "not_received"
    MISSING_ITEM = "missing_item"
    WRONG_ITEM = "wrong_item"
    NOT_SHIPPED = "not_shipped"
    OTHER = "other"


class Claim(StrEnum):
    """What a party says in a case (`Statement.claim`), in the words the rules listen for."""

    WORN = "worn"  # merchant: the goods were used (穿过 / 用过)
    TAGS_REMOVED = "tags_removed"  # merchant: the tags are off (吊牌已拆)
    NOT_RESALEABLE = "not_resaleable"  # merchant: 影响二次销售
    UNSEALED = "unsealed"  # digital goods or software opened (已拆封)
    COURIER_NOT_DELIVERED = "courier_not_delivered"  # merchant checked: the courier did not deliver


class ShipmentStep(StrEnum):
    """What a decision does to the order's own shipment."""

    CANCEL_SHIPMENT = "cancel_shipment"  # not shipped yet: do not ship
    INTERCEPT_PARCEL = "intercept_parcel"  # 拦截: call the parcel back


class ExceptionKind(StrEnum):
    """The situations of the merchant's resolution menu (product.md §7)."""

    LOGISTICS_SLOW = "logistics_slow"
    WRONG_ITEM = "wrong_item"
    OUT_OF_STOCK = "out_of_stock"
    PERISHABLE_ROUTE_DISRUPTED = "perishable_route_disrupted"
    MISSED_ITEM = "missed_item"


class Resolution(StrEnum):
    """A merchant's resolution from the menu (product.md §7); `resolve` takes one of these."""

    URGE_COURIER_COUPON = "urge_courier_coupon"
    LATE_DELIVERY_COMPENSATION = "late_delivery_compensation"
    RESHIP_PAY_SHIPPING = "reship_pay_shipping"
    RECOMMEND_SIMILAR_REFUND_DIFFERENCE = "recommend_similar_refund_difference"
    EMERGENCY_TRANSFER = "emergency_transfer"
    FASTER_TRANSPORT = "faster_transport"
    RESHIP_MISSING_WITH_COUPON = "reship_missing_with_coupon"
    SAME_DAY_LOCAL_RESHIP = "same_day_local_reship"  # R-URGENT: local stock, same day


class LockRelease(StrEnum):
    """What closing an oversold case did to its order's lock."""

    UNLOCKED = "unlocked"  # the order may ship again
    CANCELLED = "cancelled"  # refunded in full before shipping: it never ships
    NOT_LOCKED = "not_locked"  # lifted already (a restock, the remedy, an earlier attempt) or cancelled already
    SHIPPED = "shipped"  # shipped meanwhile: nothing to lift or cancel
    NOT_OVERSOLD = "not_oversold"  # not its order's oversold case: the lock is not this case's to lift
