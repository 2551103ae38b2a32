"""What the parties read of the case's own steps (opening, answers, proposals, decisions, returns, messages):
one function per event and party, each answering `(zh, en)` or None when that party has nothing to hear this time.
`activities/notices.py` is the table that says which function speaks to whom."""

from collections.abc import Callable
from typing import Any

from rulebook.enums import CaseKind, Party
from rulebook.labels import (
    EVIDENCE_ZH,
    OUTCOME_EN,
    OUTCOME_ZH,
    RESOLUTION_ZH,
    WHO_ZH,
    plain_en,
    when_en,
    when_zh,
    word,
    yuan,
)
from workflows.ending import UI_CANCELLED

Text = tuple[str, str]  # Chinese, English
Template = Callable[[dict[str, Any]], Text | None]

EXCEPTION_KINDS = frozenset({"logistics_stalled", "missed_shipment", "oversold"})
EXCEPTION_ZH = {"logistics_stalled": "物流停滞", "missed_shipment": "超时未发货", "oversold": "超卖"}
EXCEPTION_EN = {"logistics_stalled": "stalled delivery", "missed_shipment": "missed shipment", "oversold": "oversold"}
WHO_EN = {"buyer": "The buyer", "merchant": "The merchant", "agent": "Platform support"}


def clip(text: Any, limit: int = 200) -> str:
    """A party's free text inside a message (messages are stored up to 500 characters)."""
    return "" if text is None else str(text)[:limit]


def fixed(zh: str, en: str) -> Template:
    return lambda _d: (zh, en)


def opened_buyer(d: dict[str, Any]) -> Text | None:
    if d.get("kind") in EXCEPTION_KINDS:
        return None  # the system opened it: the exception's alert speaks
    return "您的售后申请已提交,等待商家处理。", "Your after-sales request was submitted; the merchant will reply."


def opened_merchant(d: dict[str, Any]) -> Text | None:
    if d.get("kind") in EXCEPTION_KINDS:
        return None
    amount = yuan(d["amount_cents"])
    return (
        f"买家发起售后申请(订单 {d['order_id']},{amount}),请在 {when_zh(d['deadline'])} 前处理,超时平台将自动介入。",
        f"A buyer opened a request (order {d['order_id']}, {amount}); reply by {when_en(d['deadline'])} "
        "or the platform steps in.",
    )


def _menu(codes: Any) -> Text:
    codes = list(codes or [])
    return "、".join(word(RESOLUTION_ZH, c) for c in codes), ", ".join(plain_en(c) for c in codes)


def alert_merchant(d: dict[str, Any]) -> Text:
    kind, stalled = str(d["kind"]), d.get("stalled_for_hours")
    facts_zh = f",物流已 {stalled} 小时无更新" if stalled is not None else ""
    facts_en = f"; no tracking update for {stalled} h" if stalled is not None else ""
    menu_zh, menu_en = _menu(d.get("menu"))
    return (
        f"订单 {d['order_id']} 出现异常:{word(EXCEPTION_ZH, kind)}{facts_zh}。"
        f"请在 {when_zh(d['deadline'])} 前选择处理方案({menu_zh})并上传凭证,超时平台将自动介入。",
        f"Order {d['order_id']} has an exception: {word(EXCEPTION_EN, kind)}{facts_en}. Pick a resolution "
        f"({menu_en}) and upload your proof by {when_en(d['deadline'])}, or the platform steps in.",
    )


def alert_buyer(d: dict[str, Any]) -> Text:
    kind = str(d["kind"])
    return (
        f"您的订单 {d['order_id']} 出现{word(EXCEPTION_ZH, kind)},已通知商家处理。",
        f"Your order {d['order_id']} has a problem ({word(EXCEPTION_EN, kind)}); the merchant has been alerted.",
    )


def resolution_chosen(d: dict[str, Any]) -> Text:
    return (
        f"商家已选择处理方案:{word(RESOLUTION_ZH, d['resolution'])}。",
        f"The merchant chose a resolution: {plain_en(d['resolution'])}.",
    )


def reship_merchant(d: dict[str, Any]) -> Text:
    note = f" {clip(d['note'])}" if d.get("note") else ""
    return (
        f"请按所选方案({word(RESOLUTION_ZH, d['resolution'])})为买家安排发货,并上传发货凭证。{note}",
        f"Carry out {plain_en(d['resolution'])} for the buyer and upload the shipping proof.{note}",
    )


def reship_buyer(d: dict[str, Any]) -> Text:
    return (
        f"商家将为您重新安排发货({word(RESOLUTION_ZH, d['resolution'])})。",
        f"The merchant will send your goods again ({plain_en(d['resolution'])}).",
    )


def rejected_buyer(d: dict[str, Any]) -> Text:
    return (
        f"商家拒绝了您的申请,理由:{d['reason']}。如有异议可申请平台介入。",
        f"The merchant rejected your request: {d['reason']}. You can ask the platform to step in.",
    )


def proposed_buyer(d: dict[str, Any]) -> Text:
    amount, said = yuan(d.get("amount_cents") or 0), clip(d.get("message"))
    return (
        f"商家提出方案:{word(OUTCOME_ZH, d['outcome'])} {amount}。{said}".rstrip(),
        f"The merchant proposes a {word(OUTCOME_EN, d['outcome'])} of {amount}. {said}".rstrip(),
    )


def decided(d: dict[str, Any]) -> Text:
    if d["outcome"] == "to_agent":
        return (
            "平台客服将介入处理,并在客服处理时限内给出结果,请留意消息。",
            "Platform support is taking over your case and will decide within its deadline.",
        )
    amount = f" {yuan(d['amount_cents'])}" if d["amount_cents"] else ""
    return (
        f"处理结果:{word(OUTCOME_ZH, d['outcome'])}{amount}。依据:{d['rationale_zh']}",
        f"Decision: {word(OUTCOME_EN, d['outcome'])}{amount}. Why: {d['rationale_en']}",
    )


def evidence_to(party: Party) -> Template:
    """New evidence is told to the other party (both, when an agent added it)."""

    def render(d: dict[str, Any]) -> Text | None:
        if d.get("actor_role") == party:
            return None
        return (
            f"对方上传了新的证据({word(EVIDENCE_ZH, d['kind'])})。",
            f"The other party added evidence ({plain_en(d['kind'])}).",
        )

    return render


def message_to(party: Party) -> Template:
    """A message is told to the other party (both, when an agent wrote it)."""

    def render(d: dict[str, Any]) -> Text | None:
        by = str(d.get("actor_role"))
        if by == party:
            return None
        text = clip(d.get("text"))
        return f"{WHO_ZH.get(by, '对方')}留言:{text}", f"{WHO_EN.get(by, 'The other party')} says: {text}"

    return render


def return_requested_buyer(d: dict[str, Any]) -> Text:
    who_zh, who_en = ("商家", "The merchant") if d.get("granted_by") == "merchant" else ("平台", "The platform")
    exchange = d.get("case_kind") == CaseKind.EXCHANGE
    what_zh, what_en = ("换货", "exchange") if exchange else ("退货", "return")
    address = clip(d.get("return_address"))
    return (
        f"{who_zh}已同意{what_zh},请寄回商品。退货地址:{address or '请联系商家获取'};"
        f"请在 {when_zh(d['deadline'])} 前寄出并填写运单号。",
        f"{who_en} approved the {what_en}: please send the goods back to {address or 'the address the merchant gives'}"
        f" and enter the tracking number by {when_en(d['deadline'])}.",
    )


def return_ship_warning(d: dict[str, Any]) -> Text:
    what_zh = "换货" if d.get("case_kind") == CaseKind.EXCHANGE else "退货"
    return (
        f"请在 {when_zh(d['deadline'])} 前寄回商品并填写运单号,逾期{what_zh}申请将自动关闭。",
        f"Ship the goods back and enter the tracking number by {when_en(d['deadline'])}, or the request closes.",
    )


def tracking_buyer(d: dict[str, Any]) -> Text | None:
    no, status, goods_back = d["tracking_no"], d["status"], d["direction"] == "return"
    reshipped = d.get("for") == "reship"  # a reshipment's parcel, not an exchange's replacement
    if goods_back:
        if status == "picked_up":
            return "快递已取件,退回的商品正在寄回商家。", "The courier picked up the goods you send back."
        if status == "delivered":
            return (
                "退回的商品已送达商家,等待商家确认收货。",
                "The goods you sent back arrived; the merchant checks them.",
            )
        return None
    if status == "picked_up":
        if reshipped:
            return f"补发商品快递已取件({no})。", f"The courier picked up your reshipment ({no})."
        return f"换货商品快递已取件({no})。", f"The courier picked up your replacement ({no})."
    if status == "delivered":
        return delivered_to_buyer(reshipped)
    return None


def delivered_to_buyer(reshipped: bool) -> Text:
    if reshipped:
        return "补发商品已签收。", "The reshipped goods were delivered."
    return "换货商品已签收。", "The replacement was delivered."


def tracking_merchant(d: dict[str, Any]) -> Text | None:
    no, status = d["tracking_no"], d["status"]
    if d["direction"] == "return":
        if status == "picked_up":
            return f"买家退回的商品已由快递揽收({no})。", f"The goods the buyer sends back were picked up ({no})."
        if status == "delivered":
            return (
                f"退回的商品已签收,请在 {when_zh(d['deadline'])} 前确认收货,逾期将自动确认。",
                f"The goods sent back were delivered: confirm receipt by {when_en(d['deadline'])} or it is "
                "confirmed for you.",
            )
        return None
    return delivered_to_buyer(d.get("for") == "reship") if status == "delivered" else None


def receipt_buyer(d: dict[str, Any]) -> Text:
    if not d["condition_ok"]:
        return receipt_problem(d)
    return "商家已确认收到退回的商品。", "The merchant confirmed receiving the goods you sent back."


def receipt_merchant(d: dict[str, Any]) -> Text | None:
    if not d["condition_ok"]:
        return receipt_problem(d)
    if d.get("case_status") == "awaiting_replacement":
        return (
            f"请在 {when_zh(d['deadline'])} 前寄出换货商品。",
            f"Please ship the replacement by {when_en(d['deadline'])}.",
        )
    return None


def receipt_problem(d: dict[str, Any]) -> Text:
    note = clip(d.get("note")) or "-"
    return (
        f"商家反馈退回的商品有问题:{note}。平台客服将介入处理。",
        f"The merchant reports a problem with the returned goods: {note}. Platform support steps in.",
    )


def shipped(zh: str, en: str) -> Template:
    def render(d: dict[str, Any]) -> Text:
        parcel = f"{d['carrier']} {d['tracking_no']}"
        return zh.format(parcel=parcel), en.format(parcel=parcel)

    return render


def cancelled(d: dict[str, Any]) -> Text:
    said = d.get("reason") if d.get("reason") != UI_CANCELLED else None  # the UI's own words: no reason given
    why_zh = f",原因:{clip(said)}" if said else ""
    why_en = f": {clip(said)}" if said else ""
    return (
        f"平台已取消本次售后{why_zh}。订单可重新发起申请。",
        f"The platform cancelled this case{why_en}. You may open a new request.",
    )


def repaired_party(d: dict[str, Any]) -> Text | None:
    """The reconciliation's repair: a case closed with the status its timeline reached tells nobody again (both
    parties were told when it closed); a case left open is the agents' (`repaired_agent`); else it was cancelled."""
    if d.get("action") == "left_open_for_agent" or d.get("status", "cancelled") != "cancelled":
        return None
    return cancelled(d)


def repaired_agent(d: dict[str, Any]) -> Text | None:
    if d.get("action") != "left_open_for_agent":
        return None
    return (
        "案件的流程已意外结束,案件仍未办结,请客服接手处理。",
        "The case's workflow ended while the case is still open; please take it over.",
    )


def reassigned(d: dict[str, Any]) -> Text:
    return f"案件已转交客服 {d['to']}:{clip(d['reason'])}", f"Case handed to agent {d['to']}: {clip(d['reason'])}"
