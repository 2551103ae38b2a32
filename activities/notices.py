"""Progress messages (product.md §3): the one table of who hears of which event, and in what words.

`TEMPLATES[event type][party]` renders that party's message `(zh, en)` from the event's data — or None when, this
time, the party has nothing to hear (a message is not told back to its author). `SILENT` lists the event types
nobody is told of, each with why. Every event type the case workflow records is in one of the two
(`tests/activities/test_notice_table.py`), so a new outcome cannot go unheard by accident. Chinese is the default,
English on request (`GET /notifications?lang=en`); times read through `rulebook.labels.when_zh`/`when_en`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from activities import deadline_notices, evidence_notices, remedy_notices
from activities import money_notices as money
from activities import party_notices as said
from activities.party_notices import Template, Text, fixed
from models.notification import TEXT_MAX
from rulebook.enums import Party

BUYER, MERCHANT, AGENT = Party.BUYER, Party.MERCHANT, Party.AGENT
Listed = Callable[[dict[str, Any]], list[tuple[Party, str, str]]]


@dataclass(frozen=True)
class Notice:
    to: Party
    zh: str
    en: str


def both(template: Template) -> dict[Party, Template]:
    """The same words to the buyer and the merchant."""
    return {BUYER: template, MERCHANT: template}


def picked(listed: Listed, *parties: Party) -> dict[Party, Template]:
    """The cells of a module that words an event for several parties at once (deadlines, evidence, remedies)."""

    def cell(party: Party) -> Template:
        def render(d: dict[str, Any]) -> Text | None:
            return next(((zh, en) for to, zh, en in listed(d) if to == party), None)

        return render

    return {party: cell(party) for party in parties}


def _remedy(event_type: str) -> Listed:
    return lambda d: remedy_notices.render(event_type, d)


def _pair(texts: Callable[[dict[str, Any]], Text]) -> Listed:
    return lambda d: [(BUYER, *texts(d)), (MERCHANT, *texts(d))]


TAKE_OVER = (
    "案件已转平台客服处理,请核对时间线后裁决。",
    "The case is with platform support: review the timeline and decide.",
)

TEMPLATES: dict[str, dict[Party, Template]] = {
    # opening and the parties' answers
    "case_opened": {BUYER: said.opened_buyer, MERCHANT: said.opened_merchant},
    "exception_alert": {MERCHANT: said.alert_merchant, BUYER: said.alert_buyer},
    "resolution_chosen": {BUYER: said.resolution_chosen},
    "reshipment_instructed": {MERCHANT: said.reship_merchant, BUYER: said.reship_buyer},
    "merchant_approved": {BUYER: fixed("商家已同意您的申请。", "The merchant approved your request.")},
    "merchant_rejected": {BUYER: said.rejected_buyer},
    "proposal_made": {BUYER: said.proposed_buyer},
    "proposal_accepted": {MERCHANT: fixed("买家已接受您的方案。", "The buyer accepted your proposal.")},
    "proposal_declined": {
        MERCHANT: fixed("买家拒绝了您的方案,平台将介入。", "The buyer declined your proposal; the platform steps in.")
    },
    "escalated": both(fixed("平台客服已介入处理。", "Platform support has stepped in.")),
    "withdrawn": {MERCHANT: fixed("买家已撤销售后申请。", "The buyer withdrew the request.")},
    "message": {BUYER: said.message_to(BUYER), MERCHANT: said.message_to(MERCHANT)},
    "evidence_added": {BUYER: said.evidence_to(BUYER), MERCHANT: said.evidence_to(MERCHANT)},
    "evidence_requested": picked(evidence_notices.requested, BUYER, MERCHANT),
    "evidence_answered": picked(evidence_notices.answered, BUYER, MERCHANT),
    "deadline_passed": picked(_pair(deadline_notices.passed), BUYER, MERCHANT),
    "deadline_extended": picked(_pair(deadline_notices.extended), BUYER, MERCHANT),
    # decisions and their money
    "decision_made": both(said.decided),
    "decision_overridden": both(money.overridden),
    "refund_executed": {BUYER: money.refunded_buyer, MERCHANT: money.refunded_merchant},
    "refund_capped": {**both(money.refund_capped), AGENT: fixed(*TAKE_OVER)},
    "refund_refused": {**both(money.refund_refused), AGENT: fixed(*TAKE_OVER)},
    "refund_failed": {**both(money.refund_failed), AGENT: fixed(*TAKE_OVER)},
    "refund_overdue": {**both(money.refund_overdue), AGENT: money.refund_overdue},
    "refund_reversed": both(money.refund_reversed),
    "reversal_capped": {**both(money.reversal_short), AGENT: fixed(*TAKE_OVER)},
    "reversal_refused": {**both(money.reversal_short), AGENT: fixed(*TAKE_OVER)},
    "reversal_failed": {**both(money.reversal_short), AGENT: fixed(*TAKE_OVER)},
    "coupon_issued": {BUYER: money.coupon_issued_buyer, MERCHANT: money.coupon_issued_merchant},
    "coupon_capped": {**both(money.coupon_capped), AGENT: fixed(*TAKE_OVER)},
    "coupon_refused": {**both(money.coupon_refused), AGENT: fixed(*TAKE_OVER)},
    "coupon_failed": {**both(money.coupon_failed), AGENT: fixed(*TAKE_OVER)},
    "case_closed": both(money.closed),
    "order_unlocked": {MERCHANT: money.unlocked_merchant, BUYER: money.unlocked_buyer},
    "order_cancelled": both(money.order_cancelled),
    # the goods' way back, and the replacement
    "return_requested": {BUYER: said.return_requested_buyer},
    "return_ship_warning": {BUYER: said.return_ship_warning},
    "return_shipped": {
        MERCHANT: said.shipped("买家已寄回商品({parcel}),请留意查收。", "The buyer shipped the goods back ({parcel}).")
    },
    "tracking_event": {BUYER: said.tracking_buyer, MERCHANT: said.tracking_merchant},
    "receipt_confirmed": {BUYER: said.receipt_buyer, MERCHANT: said.receipt_merchant},
    "replacement_shipped": {
        BUYER: said.shipped("商家已寄出换货商品({parcel})。", "The merchant shipped your replacement ({parcel}).")
    },
    # remedies through fulfilment and the courier
    "reshipment_created": picked(_remedy("reshipment_created"), BUYER, MERCHANT),
    "reshipment_failed": picked(_remedy("reshipment_failed"), BUYER, MERCHANT),
    "stock_transferred": picked(_remedy("stock_transferred"), MERCHANT, BUYER),
    "transfer_failed": picked(_remedy("transfer_failed"), BUYER, MERCHANT),
    "return_address_missing": picked(_remedy("return_address_missing"), BUYER, MERCHANT, AGENT),
    "fulfilment_cancelled": picked(_remedy("fulfilment_cancelled"), BUYER, MERCHANT),
    "fulfilment_cancel_failed": picked(_remedy("fulfilment_cancel_failed"), BUYER, MERCHANT),
    "parcel_intercepted": picked(_remedy("parcel_intercepted"), BUYER, MERCHANT),
    "interception_refused": picked(_remedy("interception_refused"), BUYER, MERCHANT),
    "interception_failed": picked(_remedy("interception_failed"), BUYER, MERCHANT),
    "interception_missed": picked(_remedy("interception_missed"), BUYER, MERCHANT),
    "intercept_requested": picked(_remedy("intercept_requested"), BUYER),
    "courier_urged": picked(_remedy("courier_urged"), BUYER, MERCHANT),
    "urge_failed": picked(_remedy("urge_failed"), BUYER, MERCHANT),
    "transport_upgraded": picked(_remedy("transport_upgraded"), BUYER, MERCHANT),
    "upgrade_transport_failed": picked(_remedy("upgrade_transport_failed"), BUYER, MERCHANT),
    "courier_delivery_record": picked(_remedy("courier_delivery_record"), MERCHANT),
    "delivery_record_failed": {
        AGENT: fixed(
            "未能取得快递的派送记录,请向快递核实后裁决。",
            "The courier's delivery record could not be fetched: check with the courier before deciding.",
        )
    },
    # the agents' desk and the case's ending from outside its flow
    "reassigned": {AGENT: said.reassigned},
    "agent_reminder": {AGENT: fixed("仲裁案件已超时未决,优先处理。", "An arbitration is overdue; it was moved up.")},
    "case_cancelled": both(said.cancelled),
    "case_repaired": {**both(said.repaired_party), AGENT: said.repaired_agent},
    "timeline_diverged": {
        AGENT: fixed(
            "案件流程被重置,与已记录的时间线不一致,已转客服处理,请核对后裁决。",
            "The case's workflow was reset and no longer matches its recorded timeline; please review and decide.",
        )
    },
}

SILENT: dict[str, str] = {
    "stock_checked": "an exchange's stock check: what follows (the return asked, or a refund proposed) is told",
    "stock_check_failed": "the stock check could not be made: the exchange goes on and its next step is told",
    "transfer_not_needed": "the order's own warehouse had the stock: the reshipment that follows is told",
    "transfer_executed": "kept for older timelines: `stock_transferred` is told",
}


def notices_for(event_type: str, data: dict[str, Any]) -> list[Notice]:
    notices = []
    for party, template in TEMPLATES.get(event_type, {}).items():
        text = template(data)
        if text is not None:
            notices.append(Notice(party, _fit(text[0]), _fit(text[1])))
    return notices


def _fit(text: str) -> str:
    return text if len(text) <= TEXT_MAX else text[: TEXT_MAX - 1] + "…"
