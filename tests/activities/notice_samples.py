"""An event of each type as the case workflow records it (data as on the timeline, plus what `record_step` adds:
`order_id`, `actor_role`, `case_kind`), for the tests over the table of messages."""

from typing import Any

AT = "2026-12-04T14:36:16.241236+00:00"
LATER = "2026-12-11T14:35:16.241236+00:00"
RECEIPT = {
    "business_key": "case-c1:refund:1",
    "external_ref": "pay-001",
    "amount_cents": 3000,
    "asked_cents": 5900,
    "refunded_before_cents": 2900,
    "left_before_cents": 3000,
    "note": "",
    "left_after_cents": 0,
}
REFUSED = {**RECEIPT, "amount_cents": 0, "external_ref": "", "left_before_cents": 0, "status": "refused"}
PARCEL = {"carrier": "SF", "tracking_no": "SF1001"}
DECISION = {
    "outcome": "refund",
    "amount_cents": 5900,
    "rules": ["R-TIMEOUT"],
    "rationale_zh": "商家超时未处理",
    "rationale_en": "the merchant did not answer in time",
}
PASSED = {
    "timer": "T-MERCHANT",
    "set_at": AT,
    "wait": "24h",
    "paused": None,
    "pauses": [],
    "extension": None,
    "deadline": LATER,
    "waited_on": "merchant",
    "case_status": "awaiting_merchant",
    "then": "platform_steps_in",
}

SAMPLES: dict[str, list[dict[str, Any]]] = {
    "case_opened": [{"kind": "refund_only", "amount_cents": 5900, "deadline": LATER}],
    "exception_alert": [
        {"kind": "logistics_stalled", "stalled_for_hours": 72, "deadline": LATER, "menu": ["urge_courier_coupon"]}
    ],
    "resolution_chosen": [{"resolution": "reship_pay_shipping"}],
    "reshipment_instructed": [{"resolution": "reship_pay_shipping", "note": "今天发出"}],
    "merchant_approved": [{"return_address": None}],
    "merchant_rejected": [{"reason": "商品已使用"}],
    "proposal_made": [{"outcome": "partial_refund", "amount_cents": 2000, "message": "补偿部分"}],
    "proposal_accepted": [{"message": None}],
    "proposal_declined": [{"reason": "太少"}],
    "escalated": [{"reason": "商家不同意"}],
    "withdrawn": [{"reason": "不想退了"}],
    "message": [{"text": "请尽快处理", "actor_role": "agent"}],
    "evidence_added": [{"kind": "photo", "evidence_id": "e1", "actor_role": "agent"}],
    "evidence_requested": [{"from": "buyer", "what": "开线处的近照", "asked_by": "agent", "deadline": LATER}],
    "evidence_answered": [{"from": "buyer", "case_status": "in_arbitration", "deadline": LATER}],
    "deadline_passed": [PASSED],
    "deadline_extended": [
        {**PASSED, "extension": {"duration": "6h", "reason": "核实库存", "new_deadline": LATER}},
    ],
    "decision_made": [DECISION, {**DECISION, "outcome": "to_agent", "amount_cents": 0}],
    "decision_overridden": [
        {**DECISION, "outcome": "reject", "amount_cents": 0, "rationale_zh": "照片系网图", "previous": DECISION}
    ],
    "refund_executed": [{**RECEIPT, "amount_cents": 5900, "asked_cents": 5900, "status": "paid"}],
    "refund_capped": [{**RECEIPT, "status": "capped"}],
    "refund_refused": [REFUSED],
    "refund_failed": [{**REFUSED, "status": "failed", "note": "provider refused"}],
    "refund_overdue": [
        {
            "timer": "T-REFUND",
            "business_key": "case-c1:refund:1",
            "amount_cents": 5900,
            "since": AT,
            "legal_limit_at": LATER,
        }
    ],
    "refund_reversed": [{**RECEIPT, "status": "paid"}],
    "reversal_capped": [{**RECEIPT, "status": "capped"}],
    "reversal_refused": [REFUSED],
    "reversal_failed": [{**REFUSED, "status": "failed"}],
    "coupon_issued": [{**RECEIPT, "amount_cents": 500, "asked_cents": 500, "status": "paid"}],
    "coupon_capped": [{**RECEIPT, "status": "capped"}],
    "coupon_refused": [REFUSED],
    "coupon_failed": [{**REFUSED, "status": "failed"}],
    "case_closed": [{"status": "resolved"}, {"status": "rejected"}],
    "order_unlocked": [{"outcome": "unlocked", "resolution": "emergency_transfer"}],
    "order_cancelled": [{"outcome": "cancelled"}],
    "return_requested": [
        {"granted_by": "merchant", "return_address": "杭州退货仓", "deadline": LATER, "case_kind": "exchange"},
        {"granted_by": "platform", "return_address": None, "deadline": LATER, "case_kind": "return_refund"},
    ],
    "return_ship_warning": [{"deadline": LATER}],
    "return_shipped": [PARCEL],
    "tracking_event": [
        {**PARCEL, "direction": "return", "status": "delivered", "deadline": LATER},
        {**PARCEL, "direction": "return", "status": "picked_up"},
        {**PARCEL, "direction": "replacement", "status": "delivered"},
    ],
    "receipt_confirmed": [
        {"condition_ok": True, "case_status": "awaiting_replacement", "deadline": LATER},
        {"condition_ok": False, "note": "有划痕"},
    ],
    "replacement_shipped": [PARCEL],
    "reshipment_created": [{**PARCEL, "warehouse": "上海仓", "reference": "rs-1"}],
    "reshipment_failed": [{"reason": "仓库无货"}],
    "stock_transferred": [
        {"quantity": 1, "sku": "tee-1", "from_warehouse": "杭州仓", "to_warehouse": "上海仓", "reference": "tr-1"}
    ],
    "transfer_failed": [{"reason": "仓库无货"}],
    "return_address_missing": [{}],
    "fulfilment_cancelled": [{"reference": "fc-1"}],
    "fulfilment_cancel_failed": [{"reason": "已出库"}],
    "parcel_intercepted": [{**PARCEL, "reference": "ic-1", "outcome": "accepted"}],
    "interception_refused": [{**PARCEL, "reference": "ic-1", "outcome": "too_late"}],
    "interception_failed": [{"reason": "快递系统故障"}],
    "interception_missed": [{}],
    "intercept_requested": [{"note": None}],
    "courier_urged": [{**PARCEL, "reference": "u-1"}],
    "urge_failed": [{"reason": "快递系统故障"}],
    "transport_upgraded": [{**PARCEL, "reference": "up-1"}],
    "upgrade_transport_failed": [{"reason": "快递系统故障"}],
    "courier_delivery_record": [{"photo_ref": "photo-1"}, {"photo_ref": None}],
    "delivery_record_failed": [{"reason": "快递系统故障"}],
    "reassigned": [{"to": "agent-2", "reason": "交给熟悉服装的同事"}],
    "agent_reminder": [{"timer": "T-AGENT"}],
    "case_cancelled": [{"by": "cancelled in the Temporal UI", "reason": ""}, {"by": "agent-1", "reason": "重复申请"}],
    "case_repaired": [
        {"workflow_status": "terminated", "status": "cancelled"},
        {"workflow_status": "completed", "action": "left_open_for_agent", "status": "in_arbitration"},
    ],
    "timeline_diverged": [{"stored_events": 5}],
}


def with_context(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"order_id": "o-1001", "actor_role": "system", "case_kind": "refund_only", **data}
