"""Progress messages (product.md §3): which party hears of which event, in Chinese and English."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from activities import deadline_notices, evidence_notices, remedy_notices
from models.notification import TEXT_MAX
from rulebook.enums import Party
from rulebook.labels import EVIDENCE_ZH, OUTCOME_EN, OUTCOME_ZH, RESOLUTION_ZH, WHO_ZH, plain_en, word


@dataclass(frozen=True)
class Notice:
    to: Party
    zh: str
    en: str


def _outcome_zh(outcome: Any) -> str:
    return word(OUTCOME_ZH, outcome)


def _menu_zh(codes: Any) -> str:
    return "、".join(word(RESOLUTION_ZH, code) for code in codes or [])


def _clip(text: Any, limit: int = 200) -> str | None:
    """A party's free text inside a message (messages are stored up to 500 characters)."""
    return None if text is None else str(text)[:limit]


def _yuan(cents: Any) -> str:
    return f"¥{int(cents) / 100:.2f}"


EXCEPTION_KINDS = frozenset({"logistics_stalled", "missed_shipment", "oversold"})
EXCEPTION_ZH = {"logistics_stalled": "物流停滞", "missed_shipment": "超时未发货", "oversold": "超卖"}


def _opened(d: dict[str, Any]) -> list[Notice]:
    if d.get("kind") in EXCEPTION_KINDS:
        return []  # the system opened it: the exception's alert speaks to both parties
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


def _exception_alert(d: dict[str, Any]) -> list[Notice]:
    kind = str(d["kind"])
    stalled = d.get("stalled_for_hours")
    facts_zh = f",物流已 {stalled} 小时无更新" if stalled is not None else ""
    facts_en = f"; no tracking update for {stalled} h" if stalled is not None else ""
    menu_zh, menu_en = _menu_zh(d.get("menu")), ", ".join(plain_en(code) for code in d.get("menu") or [])
    return [
        Notice(
            Party.MERCHANT,
            f"订单 {d['order_id']} 出现异常:{EXCEPTION_ZH.get(kind, kind)}{facts_zh}。"
            f"请在 {d['deadline']} 前选择处理方案({menu_zh})并上传凭证,超时平台将自动介入。",
            f"Order {d['order_id']} has an exception: {plain_en(kind)}{facts_en}. Pick a resolution ({menu_en}) "
            f"and upload your proof by {d['deadline']}, or the platform steps in.",
        ),
        Notice(
            Party.BUYER,
            f"您的订单 {d['order_id']} 出现{EXCEPTION_ZH.get(kind, kind)},已通知商家处理。",
            f"Your order {d['order_id']} has a problem ({plain_en(kind)}); the merchant has been alerted.",
        ),
    ]


def _reship_instructed(d: dict[str, Any]) -> list[Notice]:
    note = f" {_clip(d['note'])}" if d.get("note") else ""
    return [
        Notice(
            Party.MERCHANT,
            f"请按所选方案({word(RESOLUTION_ZH, d['resolution'])})为买家安排发货,并上传发货凭证。{note}",
            f"Carry out {plain_en(d['resolution'])} for the buyer and upload the shipping proof.{note}",
        ),
        Notice(
            Party.BUYER,
            f"商家将为您重新安排发货({word(RESOLUTION_ZH, d['resolution'])})。",
            f"The merchant will send your goods again ({plain_en(d['resolution'])}).",
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
            f"商家提出方案:{_outcome_zh(d['outcome'])} {_yuan(d.get('amount_cents') or 0)}。{d.get('message') or ''}",
            f"The merchant proposes a {word(OUTCOME_EN, d['outcome'])} of {_yuan(d.get('amount_cents') or 0)}. "
            f"{d.get('message') or ''}",
        )
    ]


def _to_both(texts: tuple[str, str]) -> list[Notice]:
    return [Notice(Party.BUYER, *texts), Notice(Party.MERCHANT, *texts)]


def _decided(d: dict[str, Any]) -> list[Notice]:
    if d["outcome"] == "to_agent":
        zh = "平台客服将介入处理,并在客服处理时限内给出结果,请留意消息。"
        en = "Platform support is taking over your case and will decide within its deadline."
        return [Notice(Party.BUYER, zh, en), Notice(Party.MERCHANT, zh, en)]
    amount = f" {_yuan(d['amount_cents'])}" if d["amount_cents"] else ""
    zh = f"处理结果:{_outcome_zh(d['outcome'])}{amount}。依据:{d['rationale_zh']}"
    en = f"Decision: {word(OUTCOME_EN, d['outcome'])}{amount}. Why: {d['rationale_en']}"
    return [Notice(Party.BUYER, zh, en), Notice(Party.MERCHANT, zh, en)]


def _evidence(d: dict[str, Any]) -> list[Notice]:
    by = d.get("actor_role")
    zh = f"对方上传了新的证据({word(EVIDENCE_ZH, d['kind'])})。"
    en = f"The other party added evidence ({plain_en(d['kind'])})."
    return [Notice(party, zh, en) for party in (Party.BUYER, Party.MERCHANT) if party != by]


def _return_requested(d: dict[str, Any]) -> list[Notice]:
    who_zh, who_en = ("商家", "The merchant") if d.get("granted_by") == "merchant" else ("平台", "The platform")
    address = _clip(d.get("return_address"))
    zh = (
        f"{who_zh}已同意退货,请寄回商品。退货地址:{address or '请联系商家获取'};"
        f"请在 {d['deadline']} 前寄出并填写运单号。"
    )
    en = (
        f"{who_en} approved the return: please send the goods back to {address or 'the address the merchant gives'} "
        f"and enter the tracking number by {d['deadline']}."
    )
    return [Notice(Party.BUYER, zh, en)]


def _tracking(d: dict[str, Any]) -> list[Notice]:
    no, status = d["tracking_no"], d["status"]
    if d["direction"] == "return" and status == "picked_up":
        return [
            Notice(Party.BUYER, "快递已取件,退货正在寄回商家。", "The courier picked up your return."),
            Notice(Party.MERCHANT, f"买家退回的商品已由快递揽收({no})。", f"The buyer's return was picked up ({no})."),
        ]
    if d["direction"] == "return" and status == "delivered":
        return [
            Notice(
                Party.BUYER, "退回的商品已送达商家,等待商家确认收货。", "Your return arrived; the merchant checks it."
            ),
            Notice(
                Party.MERCHANT,
                f"退回的商品已签收,请在 {d['deadline']} 前确认收货,逾期将自动确认。",
                f"The return was delivered: confirm receipt by {d['deadline']} or it is confirmed for you.",
            ),
        ]
    reshipped = d.get("for") == "reship"  # a reshipment's parcel, not an exchange's replacement
    if status == "picked_up":
        if reshipped:
            return [
                Notice(Party.BUYER, f"补发商品快递已取件({no})。", f"The courier picked up your reshipment ({no}).")
            ]
        return [Notice(Party.BUYER, f"换货商品快递已取件({no})。", f"The courier picked up your replacement ({no}).")]
    if status == "delivered":
        zh, en = "换货商品已签收,售后完成。", "The replacement was delivered; the case is closed."
        if reshipped:
            zh, en = "补发商品已签收,售后完成。", "The reshipped goods were delivered; the case is closed."
        return [Notice(Party.BUYER, zh, en), Notice(Party.MERCHANT, zh, en)]
    return []


def _receipt(d: dict[str, Any]) -> list[Notice]:
    if not d["condition_ok"]:
        note = _clip(d.get("note")) or "-"
        zh = f"商家反馈退回的商品有问题:{note}。平台客服将介入处理。"
        en = f"The merchant reports a problem with the returned goods: {note}. Platform support steps in."
        return [Notice(Party.BUYER, zh, en), Notice(Party.MERCHANT, zh, en)]
    notices = [Notice(Party.BUYER, "商家已确认收到退回的商品。", "The merchant confirmed receiving your return.")]
    if d.get("case_status") == "awaiting_replacement":
        zh, en = f"请在 {d['deadline']} 前寄出换货商品。", f"Please ship the replacement by {d['deadline']}."
        notices.append(Notice(Party.MERCHANT, zh, en))
    return notices


def _shipped(to: Party, zh: str, en: str) -> Callable[[dict[str, Any]], list[Notice]]:
    def render(d: dict[str, Any]) -> list[Notice]:
        parcel = f"{d['carrier']} {d['tracking_no']}"
        return [Notice(to, zh.format(parcel=parcel), en.format(parcel=parcel))]

    return render


def _both(zh: str, en: str) -> Callable[[dict[str, Any]], list[Notice]]:
    return lambda _d: [Notice(Party.BUYER, zh, en), Notice(Party.MERCHANT, zh, en)]


def _one(to: Party, zh: str, en: str) -> Callable[[dict[str, Any]], list[Notice]]:
    return lambda _d: [Notice(to, zh, en)]


def _cancelled(d: dict[str, Any]) -> list[Notice]:
    why_zh = f",原因:{_clip(d['reason'])}" if d.get("reason") else ""
    why_en = f": {_clip(d['reason'])}" if d.get("reason") else ""
    zh, en = (
        f"平台已取消本次售后{why_zh}。订单可重新发起申请。",
        f"The platform cancelled this case{why_en}. You may open a new request.",
    )
    return [Notice(Party.BUYER, zh, en), Notice(Party.MERCHANT, zh, en)]


def _repaired(d: dict[str, Any]) -> list[Notice]:
    """The reconciliation's repair: a case left open for an agent tells the agents only; a case closed with the
    status its timeline reached tells nobody again (both parties were told when it closed); else it was cancelled."""
    if d.get("action") == "left_open_for_agent":
        zh = "案件的流程已意外结束,案件仍未办结,请客服接手处理。"
        en = "The case's workflow ended while the case is still open; please take it over."
        return [Notice(Party.AGENT, zh, en)]
    if d.get("status", "cancelled") != "cancelled":
        return []
    return _cancelled(d)


WHO_EN = {"buyer": "The buyer", "merchant": "The merchant", "agent": "Platform support"}


def _message(d: dict[str, Any]) -> list[Notice]:
    by = str(d.get("actor_role"))
    zh, en = (
        f"{WHO_ZH.get(by, '对方')}留言:{(_clip(d.get('text')) or '')}",
        f"{WHO_EN.get(by, 'The other party')} says: {(_clip(d.get('text')) or '')}",
    )
    return [Notice(party, zh, en) for party in (Party.BUYER, Party.MERCHANT) if party != by]


def _evidence_requested(d: dict[str, Any]) -> list[Notice]:
    return [Notice(*n) for n in evidence_notices.requested(d)]


CATALOG: dict[str, Callable[[dict[str, Any]], list[Notice]]] = {
    "message": _message,
    "evidence_requested": _evidence_requested,
    "evidence_answered": lambda d: [Notice(*n) for n in evidence_notices.answered(d)],
    "reassigned": lambda d: [
        Notice(
            Party.AGENT,
            f"案件已转交客服 {d['to']}:{_clip(d['reason'])}",
            f"Case handed to agent {d['to']}: {_clip(d['reason'])}",
        )
    ],
    "case_cancelled": _cancelled,
    "case_repaired": _repaired,
    "timeline_diverged": _one(
        Party.AGENT,
        "案件流程被重置,与已记录的时间线不一致,已转客服处理,请核对后裁决。",
        "The case's workflow was reset and no longer matches its recorded timeline; please review and decide.",
    ),
    "case_opened": _opened,
    "exception_alert": _exception_alert,
    "resolution_chosen": lambda d: [
        Notice(
            Party.BUYER,
            f"商家已选择处理方案:{word(RESOLUTION_ZH, d['resolution'])}。",
            f"The merchant chose a resolution: {plain_en(d['resolution'])}.",
        )
    ],
    "reshipment_instructed": _reship_instructed,
    "merchant_approved": _one(Party.BUYER, "商家已同意您的申请。", "The merchant approved your request."),
    "merchant_rejected": _rejected,
    "proposal_made": _proposed,
    "proposal_accepted": _one(Party.MERCHANT, "买家已接受您的方案。", "The buyer accepted your proposal."),
    "proposal_declined": _one(
        Party.MERCHANT, "买家拒绝了您的方案,平台将介入。", "The buyer declined; the platform steps in."
    ),
    "escalated": _both("平台客服已介入处理。", "Platform support has stepped in."),
    "withdrawn": _one(Party.MERCHANT, "买家已撤销售后申请。", "The buyer withdrew the request."),
    "deadline_passed": lambda d: _to_both(deadline_notices.passed(d)),
    "deadline_extended": lambda d: _to_both(deadline_notices.extended(d)),
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
    "return_requested": _return_requested,
    "return_ship_warning": lambda d: [
        Notice(
            Party.BUYER,
            f"请在 {d['deadline']} 前寄回商品并填写运单号,逾期退货申请将自动关闭。",
            f"Ship the return and enter its tracking number by {d['deadline']}, or the request closes.",
        )
    ],
    "return_shipped": _shipped(
        Party.MERCHANT, "买家已寄回商品({parcel}),请留意查收。", "The buyer shipped the return ({parcel})."
    ),
    "tracking_event": _tracking,
    "receipt_confirmed": _receipt,
    "replacement_shipped": _shipped(
        Party.BUYER, "商家已寄出换货商品({parcel})。", "The merchant shipped your replacement ({parcel})."
    ),
}


def notices_for(event_type: str, data: dict[str, Any]) -> list[Notice]:
    render = CATALOG.get(event_type)
    notices = render(data) if render else [Notice(*n) for n in remedy_notices.render(event_type, data)]
    return [Notice(n.to, _fit(n.zh), _fit(n.en)) for n in notices]


def _fit(text: str) -> str:
    return text if len(text) <= TEXT_MAX else text[: TEXT_MAX - 1] + "…"
