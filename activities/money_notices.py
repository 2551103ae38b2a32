"""What the parties read when money moves or falls short, when an agent overrides a decision, when a case closes
and when its order is unlocked or cancelled. Each function answers `(zh, en)` for one party (or for both, where
they read the same); `activities/notices.py` says who hears which.

Money events carry the ledger's receipt (`workflows.messages.MoneyReceipt`): what was asked, what moved, what the
order had refunded before and what was left."""

from typing import Any

from rulebook.labels import OUTCOME_EN, OUTCOME_ZH, STATUS_ZH, when_en, when_zh, word, yuan

Text = tuple[str, str]
STATUS_EN = {
    "resolved": "resolved",
    "rejected": "rejected",
    "withdrawn": "withdrawn",
    "cancelled": "cancelled",
    "in_arbitration": "with platform support",
}
AGENT_TAKES_OVER = ("平台客服将介入处理。", "Platform support takes it from here.")


def _ref(d: dict[str, Any]) -> Text:
    ref = d.get("external_ref")
    return (f",流水号 {ref}", f" (ref {ref})") if ref else ("", "")


def refunded_buyer(d: dict[str, Any]) -> Text:
    ref_zh, ref_en = _ref(d)
    amount = yuan(d["amount_cents"])
    return f"退款 {amount} 已原路退回{ref_zh}。", f"{amount} was refunded to your payment method{ref_en}."


def refunded_merchant(d: dict[str, Any]) -> Text:
    amount = yuan(d["amount_cents"])
    return (
        f"已为订单 {d['order_id']} 向买家退款 {amount}。",
        f"{amount} of order {d['order_id']} was refunded to the buyer.",
    )


def _short(d: dict[str, Any]) -> Text:
    """What the order had: refunded before, left for this move."""
    before, left = yuan(d.get("refunded_before_cents") or 0), yuan(d.get("left_before_cents") or 0)
    return f"订单此前已退 {before},仅剩 {left} 可退", f"the order had {before} refunded already and {left} left"


def refund_capped(d: dict[str, Any]) -> Text:
    asked, paid = yuan(d.get("asked_cents") or d["amount_cents"]), yuan(d["amount_cents"])
    had_zh, had_en = _short(d)
    return (
        f"退款申请 {asked} 超出订单可退金额({had_zh}),已原路退回 {paid},其余部分{AGENT_TAKES_OVER[0]}",
        f"The refund of {asked} was more than the order has left ({had_en}): {paid} was refunded, and platform "
        "support takes the rest from here.",
    )


def refund_refused(d: dict[str, Any]) -> Text:
    asked = yuan(d.get("asked_cents") or d["amount_cents"])
    had_zh, had_en = _short(d)
    return (
        f"退款 {asked} 未能执行:{had_zh}。{AGENT_TAKES_OVER[0]}",
        f"The refund of {asked} was not made: {had_en}. {AGENT_TAKES_OVER[1]}",
    )


def refund_failed(d: dict[str, Any]) -> Text:
    asked = yuan(d.get("asked_cents") or d["amount_cents"])
    return (
        f"退款 {asked} 未能完成:支付渠道拒绝了这笔退款,款项未退出。{AGENT_TAKES_OVER[0]}",
        f"The refund of {asked} did not go through: the payment provider refused it, nothing was paid. "
        f"{AGENT_TAKES_OVER[1]}",
    )


def refund_overdue(d: dict[str, Any]) -> Text:
    amount, limit = yuan(d["amount_cents"]), d["legal_limit_at"]
    return (
        f"退款 {amount} 尚未确认到账,法定时限为 {when_zh(limit)}。平台客服已加急处理。",
        f"The refund of {amount} is not confirmed yet; the legal limit is {when_en(limit)}. Platform support is on it.",
    )


def refund_reversed(d: dict[str, Any]) -> Text:
    amount = yuan(d["amount_cents"])
    ref_zh, ref_en = _ref(d)
    return (
        f"平台客服改判后,已退款项中的 {amount} 已收回{ref_zh}。",
        f"After platform support's new ruling, {amount} of the refund was taken back{ref_en}.",
    )


def reversal_short(d: dict[str, Any]) -> Text:
    amount = yuan(d.get("asked_cents") or d["amount_cents"])
    return (
        f"平台客服改判后需收回的退款 {amount} 未能全部收回。{AGENT_TAKES_OVER[0]}",
        f"The {amount} to take back after platform support's new ruling could not all be taken back. "
        f"{AGENT_TAKES_OVER[1]}",
    )


def coupon_issued_buyer(d: dict[str, Any]) -> Text:
    amount = yuan(d["amount_cents"])
    return f"已向您发放 {amount} 优惠券。", f"A {amount} coupon was issued to you."


def coupon_issued_merchant(d: dict[str, Any]) -> Text:
    amount = yuan(d["amount_cents"])
    return f"已向买家发放 {amount} 优惠券。", f"A {amount} coupon was issued to the buyer."


def coupon_capped(d: dict[str, Any]) -> Text:
    asked, paid = yuan(d.get("asked_cents") or d["amount_cents"]), yuan(d["amount_cents"])
    return (
        f"优惠券 {asked} 超出上限,已发放 {paid}。{AGENT_TAKES_OVER[0]}",
        f"The coupon of {asked} was over the limit: {paid} was issued. {AGENT_TAKES_OVER[1]}",
    )


def coupon_refused(d: dict[str, Any]) -> Text:
    asked = yuan(d.get("asked_cents") or d["amount_cents"])
    return (
        f"优惠券 {asked} 未能发放:已达到本案或本订单的优惠券上限。{AGENT_TAKES_OVER[0]}",
        f"The coupon of {asked} was not issued: the case or the order reached its coupon limit. {AGENT_TAKES_OVER[1]}",
    )


def coupon_failed(d: dict[str, Any]) -> Text:
    asked = yuan(d.get("asked_cents") or d["amount_cents"])
    return (
        f"优惠券 {asked} 未能发放:支付渠道拒绝了这笔发放。{AGENT_TAKES_OVER[0]}",
        f"The coupon of {asked} was not issued: the payment provider refused it. {AGENT_TAKES_OVER[1]}",
    )


def overridden(d: dict[str, Any]) -> Text:
    amount = f" {yuan(d['amount_cents'])}" if d.get("amount_cents") else ""
    before = d.get("previous") or {}
    was_zh = f"(原结果:{word(OUTCOME_ZH, before['outcome'])})" if before.get("outcome") else ""
    was_en = f" (it was: {word(OUTCOME_EN, before['outcome'])})" if before.get("outcome") else ""
    return (
        f"平台客服复核后改判:{word(OUTCOME_ZH, d['outcome'])}{amount}{was_zh}。理由:{d.get('rationale_zh', '')}",
        f"Platform support reviewed the decision and changed it to: {word(OUTCOME_EN, d['outcome'])}{amount}"
        f"{was_en}. Why: {d.get('rationale_en', '')}",
    )


def closed(d: dict[str, Any]) -> Text:
    status = str(d.get("status") or "")
    return (
        f"本次售后已结束:{word(STATUS_ZH, status)}。",
        f"This after-sales case is closed: {STATUS_EN.get(status, 'closed')}.",
    )


def unlocked_merchant(d: dict[str, Any]) -> Text:
    return (
        f"订单 {d['order_id']} 已解除锁定,可以正常发货。",
        f"Order {d['order_id']} is unlocked and can be shipped.",
    )


def unlocked_buyer(d: dict[str, Any]) -> Text:
    return (
        f"您的订单 {d['order_id']} 已恢复正常,商家将尽快发货。",
        f"Your order {d['order_id']} is back to normal; the merchant ships it shortly.",
    )


def order_cancelled(d: dict[str, Any]) -> Text:
    return (
        f"订单 {d['order_id']} 已全额退款并取消,不会再发货。",
        f"Order {d['order_id']} was refunded in full and cancelled; it will not be shipped.",
    )
