"""Progress messages (product.md §3): which party hears of which event, in Chinese and English."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rulebook.enums import Party


@dataclass(frozen=True)
class Notice:
    to: Party
    zh: str
    en: str


OUTCOME_ZH = {
    "refund": "退款",
    "partial_refund": "部分退款",
    "return_refund": "退货退款",
    "reship": "补发",
    "exchange": "换货",
    "coupon": "优惠券补偿",
    "reject": "驳回申请",
    "to_agent": "转平台客服裁决",
}


def _outcome_zh(outcome: Any) -> str:
    return OUTCOME_ZH.get(str(outcome), str(outcome))


def _yuan(cents: Any) -> str:
    return f"¥{int(cents) / 100:.2f}"


def _opened(d: dict[str, Any]) -> list[Notice]:
    return [
        Notice(
            Party.BUYER,
            "您的售后申请已提交,等待商家处理。",
            "Your after-sales request was submitted; the merchant will reply.",
        ),
        Notice(
            Party.MERCHANT,
            f"买家发起售后申请(订单 {d['order_id']},{_yuan(d['amount_cents'])}),"
            f"请在 {d['deadline']} 前处理,超时平台将自动介入。",
            f"A buyer opened a request (order {d['order_id']}, {_yuan(d['amount_cents'])}); reply by {d['deadline']} "
            "or the platform steps in.",
        ),
    ]


def _rejected(d: dict[str, Any]) -> list[Notice]:
    return [
        Notice(
            Party.BUYER,
            f"商家拒绝了您的申请,理由:{d['reason']}。如有异议可申请平台介入。",
            f"The merchant rejected your request: {d['reason']}. You can ask the platform to step in.",
        )
    ]


def _proposed(d: dict[str, Any]) -> list[Notice]:
    return [
        Notice(
            Party.BUYER,
            f"商家提出方案:{_outcome_zh(d['outcome'])} {_yuan(d.get('amount_cents') or 0)}。{d.get('message', '')}",
            f"The merchant proposes {d['outcome']} {_yuan(d.get('amount_cents') or 0)}. {d.get('message', '')}",
        )
    ]


def _deadline(d: dict[str, Any]) -> list[Notice]:
    zh = f"{d['timer']} 已到期:{d['waited_on']} 未在时限内处理,平台已按规则介入。"
    en = f"{d['timer']} ran out: the {d['waited_on']} did not act in time, so the platform stepped in by the rule book."
    return [Notice(Party.BUYER, zh, en), Notice(Party.MERCHANT, zh, en)]


def _decided(d: dict[str, Any]) -> list[Notice]:
    zh = f"处理结果:{_outcome_zh(d['outcome'])} {_yuan(d['amount_cents'])}。依据:{d['rationale_zh']}"
    en = f"Decision: {d['outcome']} {_yuan(d['amount_cents'])}. Why: {d['rationale_en']}"
    return [Notice(Party.BUYER, zh, en), Notice(Party.MERCHANT, zh, en)]


def _evidence(d: dict[str, Any]) -> list[Notice]:
    by = d.get("actor_role")
    zh, en = f"对方上传了新的证据({d['kind']})。", f"The other party added evidence ({d['kind']})."
    return [Notice(party, zh, en) for party in (Party.BUYER, Party.MERCHANT) if party != by]


def _both(zh: str, en: str) -> Callable[[dict[str, Any]], list[Notice]]:
    return lambda _d: [Notice(Party.BUYER, zh, en), Notice(Party.MERCHANT, zh, en)]


def _one(to: Party, zh: str, en: str) -> Callable[[dict[str, Any]], list[Notice]]:
    return lambda _d: [Notice(to, zh, en)]


CATALOG: dict[str, Callable[[dict[str, Any]], list[Notice]]] = {
    "case_opened": _opened,
    "merchant_approved": _one(Party.BUYER, "商家已同意您的申请。", "The merchant approved your request."),
    "merchant_rejected": _rejected,
    "proposal_made": _proposed,
    "proposal_accepted": _one(Party.MERCHANT, "买家已接受您的方案。", "The buyer accepted your proposal."),
    "proposal_declined": _one(
        Party.MERCHANT, "买家拒绝了您的方案,平台将介入。", "The buyer declined; the platform steps in."
    ),
    "escalated": _both("平台客服已介入处理。", "Platform support has stepped in."),
    "withdrawn": _one(Party.MERCHANT, "买家已撤销售后申请。", "The buyer withdrew the request."),
    "deadline_passed": _deadline,
    "evidence_added": _evidence,
    "decision_made": _decided,
    "refund_executed": lambda d: [
        Notice(
            Party.BUYER,
            f"退款 {_yuan(d['amount_cents'])} 已原路退回,流水号 {d['external_ref']}。",
            f"{_yuan(d['amount_cents'])} was refunded to your payment method (ref {d['external_ref']}).",
        )
    ],
    "coupon_issued": lambda d: [
        Notice(
            Party.BUYER,
            f"已向您发放 {_yuan(d['amount_cents'])} 优惠券。",
            f"A {_yuan(d['amount_cents'])} coupon was issued.",
        )
    ],
    "agent_reminder": _one(Party.AGENT, "仲裁案件已超时未决,优先处理。", "An arbitration is overdue; it was moved up."),
}


def notices_for(event_type: str, data: dict[str, Any]) -> list[Notice]:
    render = CATALOG.get(event_type)
    return render(data) if render else []
