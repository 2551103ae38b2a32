"""One example per action of `POST /cases/{case_id}/actions`, shown by /docs and /redoc (docs/api.md has the table)."""

from typing import Any

from fastapi.openapi.models import Example

_EXAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "approve": ("merchant: grant the request (a return needs the address)", {"return_address": "上海市浦东新区…"}),
    "reject": (
        "merchant: refuse, with reason, claims and evidence",
        {"reason": "吊牌已拆,影响二次销售", "claims": ["tags_removed"], "evidence_ids": ["ev-1"]},
    ),
    "propose": (
        "merchant: offer something else",
        {"outcome": "partial_refund", "amount_cents": 2000, "message": "补偿20元可以吗"},
    ),
    "accept_proposal": ("buyer: take the merchant's offer", {"message": "可以"}),
    "decline_proposal": ("buyer: refuse the offer (the platform steps in)", {"message": "不接受"}),
    "ship_return": ("buyer: the return's parcel", {"carrier": "SF", "tracking_no": "SF1234567890"}),
    "confirm_receipt": ("merchant: the return arrived", {"condition_ok": True, "note": "完好"}),
    "ship_replacement": ("merchant: the exchange's new parcel", {"carrier": "YTO", "tracking_no": "YT9876543210"}),
    "resolve": (
        "merchant: a fix from the order exception's menu",
        {"resolution": "urge_courier_coupon", "coupon_cents": 800, "note": "已催促快递"},
    ),
    "escalate": ("buyer or merchant: ask the platform to step in", {"reason": "协商不成"}),
    "withdraw": ("buyer: drop the request", {"reason": "不需要了"}),
    "message": ("anyone on the case: a message to the other party", {"text": "请尽快处理"}),
    "request_evidence": (
        "merchant or agent: ask a party for evidence (the case waits on them)",
        {"from": "buyer", "what": "拍清楚保质期和生产日期"},
    ),
    "decide": (
        "agent: rule on the case",
        {"outcome": "refund", "amount_cents": 5900, "rationale": "开线属质量问题,支持退款"},
    ),
}

ACTION_EXAMPLES: dict[str, Example] = {
    action: Example(summary=summary, value={"action": action, **fields})
    for action, (summary, fields) in _EXAMPLES.items()
}
