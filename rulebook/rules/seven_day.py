"""R-7D: 七日无理由退货 (Consumer Rights Protection Law art. 25).

Day 1 is the calendar day after delivery in Asia/Shanghai; the return may be asked until the end of day 7
(23:59:59.999… Shanghai time), judged when the buyer asked (`CaseFacts.asked_at`): the platform's paused days and a
merchant's extension move the merchant's deadline, never this window. Excluded are custom-made goods, fresh and
perishable goods, downloaded digital goods, unsealed audio-video products and software, newspapers and periodicals,
and anything the listing marked as not eligible at purchase. The goods must be resaleable: a merchant who says
otherwise sends the question to R-WORN or an agent. The buyer pays the return shipping unless shipping insurance
covers it (faulty goods are decided by the quality rules before this one).
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from rulebook.decisions import Decision
from rulebook.enums import CaseKind, Claim, Party, ShipmentState
from rulebook.facts import CaseFacts
from rulebook.rules.common import Finding, Verdict, grant, said

RULE = "R-7D"
SHANGHAI = ZoneInfo("Asia/Shanghai")
RETURN_DAYS = 7

# Listing categories the law excludes, always or once unsealed. A category like "food/fresh" matches on any segment.
EXCLUDED_CATEGORIES = frozenset({"custom_made", "fresh", "perishable", "digital_download", "newspaper", "periodical"})
EXCLUDED_WHEN_UNSEALED = frozenset({"software", "audio_video", "digital_media"})

KINDS = frozenset({CaseKind.RETURN_REFUND, CaseKind.EXCHANGE})


@dataclass(frozen=True)
class Eligibility:
    """Whether the seven-day no-reason return applies, until when, and if not, why not (zh, en)."""

    eligible: bool
    window_ends: datetime | None
    reasons: tuple[tuple[str, str], ...] = ()


def window_ends(delivered_at: datetime) -> datetime:
    """The first instant after day 7: midnight Shanghai starting the eighth calendar day after delivery."""
    if delivered_at.tzinfo is None:
        raise ValueError("delivery times must be timezone-aware")
    delivery_day = delivered_at.astimezone(SHANGHAI).date()
    return datetime.combine(delivery_day + timedelta(days=RETURN_DAYS + 1), time(0), tzinfo=SHANGHAI)


def within_window(delivered_at: datetime, now: datetime) -> bool:
    return now < window_ends(delivered_at)


def _segments(category: str) -> set[str]:
    return {part.strip().lower() for part in category.replace(">", "/").split("/") if part.strip()}


def exclusions(facts: CaseFacts) -> tuple[tuple[str, str], ...]:
    """Why the goods are excluded by law or by the listing, as (zh, en) pairs; empty when they are not."""
    policy, segments = facts.policy, _segments(facts.policy.category)
    reasons: list[tuple[str, str]] = []
    if not policy.seven_day_return:
        reasons.append(("下单时商品页标明不支持七天无理由", "the listing marked the item not eligible at purchase"))
    if policy.custom_made or "custom_made" in segments:
        reasons.append(("定制商品", "custom-made goods"))
    if policy.perishable or segments & {"fresh", "perishable"}:
        reasons.append(("鲜活易腐商品", "fresh and perishable goods"))
    if "digital_download" in segments:
        reasons.append(("在线下载的数字化商品", "downloaded digital goods"))
    unsealed = said(facts, Party.BUYER, Claim.UNSEALED) or said(facts, Party.MERCHANT, Claim.UNSEALED)
    if segments & EXCLUDED_WHEN_UNSEALED and unsealed:
        reasons.append(("已拆封的音像制品或计算机软件", "unsealed audio-video products or software"))
    if segments & {"newspaper", "periodical"}:
        reasons.append(("报纸、期刊", "newspapers and periodicals"))
    return tuple(reasons)


def eligibility(facts: CaseFacts) -> Eligibility:
    """The R-7D check on its own, for previews: delivery, the window, the exclusions and resaleable condition."""
    if facts.shipment != ShipmentState.DELIVERED or facts.delivered_at is None:
        return Eligibility(False, None, (("商品尚未签收", "the goods have not been delivered"),))
    ends = window_ends(facts.delivered_at)
    reasons = list(exclusions(facts))
    if (facts.asked_at or facts.now) >= ends:
        reasons.append(("已超过签收次日起七天", "more than seven days have passed since the day after delivery"))
    if said(facts, Party.MERCHANT, Claim.NOT_RESALEABLE):
        reasons.append(("商家称商品已影响二次销售", "the merchant says the goods can no longer be resold"))
    return Eligibility(not reasons, ends, tuple(reasons))


def seven_day_return(facts: CaseFacts) -> Verdict:
    """R-7D for a return or an exchange of delivered goods."""
    if facts.kind not in KINDS or facts.delivered_at is None:
        return None
    check = eligibility(facts)
    if not check.eligible:
        zh = "不适用七天无理由退货:" + ";".join(zh for zh, _ in check.reasons) + "。"
        en = "The seven-day no-reason return does not apply: " + "; ".join(en for _, en in check.reasons) + "."
        return Finding(RULE, zh, en)
    return _granted(facts, check)


def _granted(facts: CaseFacts, check: Eligibility) -> Decision:
    assert check.window_ends is not None
    last_day = (check.window_ends - timedelta(days=1)).date().isoformat()
    payer_zh, payer_en = ("运费险承担退货运费", "shipping insurance covers the return")
    if not facts.shipping_insurance:
        payer_zh, payer_en = ("退货运费由买家承担", "the buyer pays the return shipping")
    finding = Finding(
        RULE,
        f"签收后七天内(至{last_day}止,北京时间)可无理由退货,商品可二次销售;{payer_zh}。",
        f"Within seven days of delivery (through {last_day}, Shanghai time) the goods may be returned without a "
        f"reason in resaleable condition; {payer_en}.",
    )
    return grant(facts, finding, buyer_pays_return_shipping=not facts.shipping_insurance)
