"""The product's words as people read them (Chinese): kinds, statuses, outcomes, reasons, parties, timers.

Messages to buyers and merchants and what agents read in the Temporal UI use these, never the internal codes.
"""

from datetime import UTC, datetime, timedelta, timezone

from rulebook.enums import CaseKind, CaseStatus, Outcome, Party, ReasonCode, Role

KIND_ZH: dict[str, str] = {
    CaseKind.REFUND_ONLY: "仅退款",
    CaseKind.RETURN_REFUND: "退货退款",
    CaseKind.EXCHANGE: "换货",
    CaseKind.NOT_RECEIVED: "未收到货",
    CaseKind.LOGISTICS_STALLED: "物流停滞",
    CaseKind.MISSED_SHIPMENT: "超时未发货",
    CaseKind.OVERSOLD: "超卖",
}

STATUS_ZH: dict[str, str] = {
    CaseStatus.AWAITING_MERCHANT: "等待商家",
    CaseStatus.AWAITING_BUYER: "等待买家",
    CaseStatus.AWAITING_RETURN_SHIPMENT: "等待买家寄回",
    CaseStatus.RETURN_IN_TRANSIT: "退货运输中",
    CaseStatus.AWAITING_RECEIPT: "等待商家收货",
    CaseStatus.AWAITING_REPLACEMENT: "等待商家换货",
    CaseStatus.REPLACEMENT_IN_TRANSIT: "换货运输中",
    CaseStatus.IN_ARBITRATION: "平台仲裁",
    CaseStatus.RESOLVED: "已解决",
    CaseStatus.REJECTED: "已驳回",
    CaseStatus.WITHDRAWN: "已撤销",
    CaseStatus.CANCELLED: "已取消",
}

OUTCOME_ZH: dict[str, str] = {
    Outcome.REFUND: "退款",
    Outcome.PARTIAL_REFUND: "部分退款",
    Outcome.RETURN_REFUND: "退货退款",
    Outcome.RESHIP: "补发",
    Outcome.EXCHANGE: "换货",
    Outcome.COUPON: "优惠券补偿",
    Outcome.REJECT: "驳回申请",
    Outcome.TO_AGENT: "转平台客服裁决",
}

REASON_ZH: dict[str, str] = {
    ReasonCode.NO_REASON: "七天无理由",
    ReasonCode.NOT_AS_DESCRIBED: "与描述不符",
    ReasonCode.QUALITY_DEFECT: "质量问题",
    ReasonCode.DAMAGED: "商品破损",
    ReasonCode.EXPIRED: "商品过期",
    ReasonCode.FADED_AFTER_WASH: "洗后褪色",
    ReasonCode.NOT_RECEIVED: "未收到货",
    ReasonCode.MISSING_ITEM: "少件漏发",
    ReasonCode.WRONG_ITEM: "发错货",
    ReasonCode.NOT_SHIPPED: "未发货",
    ReasonCode.OTHER: "其他",
}

WHO_ZH: dict[str, str] = {
    Party.BUYER: "买家",
    Party.MERCHANT: "商家",
    Party.AGENT: "平台客服",
    Role.SYSTEM: "平台",
}

TIMER_ZH: dict[str, str] = {
    "T-MERCHANT": "商家答复期限",
    "T-BUYER-REPLY": "买家答复期限",
    "T-BUYER-SHIP": "买家寄回期限",
    "T-RECEIPT": "商家确认收货期限",
    "T-AGENT": "客服处理期限",
    "T-STALL": "物流停滞期限",
    "T-MISSED": "发货期限",
}

TIMER_EN: dict[str, str] = {
    "T-MERCHANT": "the merchant's reply deadline",
    "T-BUYER-REPLY": "the buyer's reply deadline",
    "T-BUYER-SHIP": "the deadline to ship the return",
    "T-RECEIPT": "the merchant's deadline to confirm receipt",
    "T-AGENT": "platform support's deadline",
    "T-STALL": "the deadline for a tracking update",
    "T-MISSED": "the shipping deadline",
}


def word(table: dict[str, str], code: object) -> str:
    """The label of `code`, or the code itself for one the table does not know yet."""
    return table.get(str(code), str(code))


def yuan(cents: object) -> str:
    return f"¥{int(str(cents)) / 100:.2f}"


RESOLUTION_ZH: dict[str, str] = {
    "urge_courier_coupon": "催促快递并发放优惠券",
    "late_delivery_compensation": "延迟送达补偿",
    "reship_pay_shipping": "重新发货并承担运费",
    "recommend_similar_refund_difference": "推荐同款并退差价",
    "emergency_transfer": "紧急调货",
    "faster_transport": "改用更快的运输方式",
    "reship_missing_with_coupon": "补发漏件并发放优惠券",
    "same_day_local_reship": "本地当日补发",
}

CLAIM_ZH: dict[str, str] = {
    "worn": "商品已被使用",
    "tags_removed": "吊牌已拆",
    "not_resaleable": "影响二次销售",
    "unsealed": "已拆封",
    "courier_not_delivered": "经核实快递未投递",
}

TRACKING_ZH: dict[str, str] = {
    "picked_up": "已揽收",
    "in_transit": "运输中",
    "out_for_delivery": "派送中",
    "delivered": "已签收",
    "exception": "物流异常",
    "returned": "已退回",
}

SHIPMENT_ZH: dict[str, str] = {"not_shipped": "未发货", "in_transit": "运输中", "delivered": "已签收"}

# What system evidence is (`workflows/system_evidence.py` sources)
SOURCE_ZH: dict[str, str] = {
    "listing_snapshot": "下单时的商品快照",
    "tracking_nodes": "物流节点",
    "courier_urge": "催促快递记录",
    "courier_delivery_record": "快递签收记录",
    "refund_executed": "退款凭证",
    "coupon_issued": "优惠券凭证",
    "reshipment_instructed": "补发指令",
    "order_unlocked": "订单解锁记录",
    "transfer_executed": "调拨记录",
}

EVIDENCE_ZH: dict[str, str] = {
    "system": "系统证据",
    "photo": "照片",
    "chat_log": "聊天记录",
    "logistics_screenshot": "物流截图",
    "compensation_receipt": "补偿凭证",
    "courier_record": "快递记录",
    "other": "其他材料",
}

OUTCOME_EN: dict[str, str] = {
    Outcome.REFUND: "refund",
    Outcome.PARTIAL_REFUND: "partial refund",
    Outcome.RETURN_REFUND: "return and refund",
    Outcome.RESHIP: "reshipment",
    Outcome.EXCHANGE: "exchange",
    Outcome.COUPON: "coupon",
    Outcome.REJECT: "request rejected",
    Outcome.TO_AGENT: "handed to platform support",
}


KIND_EN: dict[str, str] = {
    CaseKind.REFUND_ONLY: "refund-only",
    CaseKind.RETURN_REFUND: "return-and-refund",
    CaseKind.EXCHANGE: "exchange",
    CaseKind.NOT_RECEIVED: "not-received",
    CaseKind.LOGISTICS_STALLED: "stalled-delivery",
    CaseKind.MISSED_SHIPMENT: "missed-shipment",
    CaseKind.OVERSOLD: "oversold",
}

STATUS_EN: dict[str, str] = {
    CaseStatus.AWAITING_MERCHANT: "awaiting the merchant",
    CaseStatus.AWAITING_BUYER: "awaiting the buyer",
    CaseStatus.AWAITING_RETURN_SHIPMENT: "awaiting the buyer's return shipment",
    CaseStatus.RETURN_IN_TRANSIT: "with the goods on their way back",
    CaseStatus.AWAITING_RECEIPT: "awaiting the merchant's receipt of the goods",
    CaseStatus.AWAITING_REPLACEMENT: "awaiting the merchant's replacement",
    CaseStatus.REPLACEMENT_IN_TRANSIT: "with the replacement on its way",
    CaseStatus.IN_ARBITRATION: "with platform support",
    CaseStatus.RESOLVED: "resolved",
    CaseStatus.REJECTED: "rejected",
    CaseStatus.WITHDRAWN: "withdrawn",
    CaseStatus.CANCELLED: "cancelled",
}

A_ROLE_EN: dict[str, str] = {
    Role.BUYER: "a buyer",
    Role.MERCHANT: "a merchant",
    Role.AGENT: "an agent",
    Role.SYSTEM: "the platform",
}


def plain_en(code: object) -> str:
    """An internal code as English words ('urge_courier_coupon' → 'urge courier coupon')."""
    return str(code).replace("_", " ")


BEIJING = timezone(timedelta(hours=8), "北京时间")  # China keeps no summer time: one fixed offset


def when_zh(moment: object) -> str:
    """The one way a time reads in a message (Chinese): Beijing time to the minute, the zone named —
    `2026-12-04 22:36(北京时间)`. Takes an aware datetime or its ISO text (as events carry it)."""
    at = _instant(moment)
    return f"{at:%Y-%m-%d %H:%M}(北京时间)" if at else str(moment)


def when_en(moment: object) -> str:
    """The English of `when_zh`: `2026-12-04 22:36 (Beijing time)`."""
    at = _instant(moment)
    return f"{at:%Y-%m-%d %H:%M} (Beijing time)" if at else str(moment)


def _instant(moment: object) -> datetime | None:
    if isinstance(moment, datetime):
        at = moment
    else:
        try:
            at = datetime.fromisoformat(str(moment))
        except ValueError:
            return None
    return at.replace(tzinfo=UTC).astimezone(BEIJING) if at.tzinfo is None else at.astimezone(BEIJING)
