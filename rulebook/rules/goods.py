"""Rules about the state of delivered goods: R-SMALL, R-EXPIRED, R-WASH, R-WORN and R-NOT-AS-DESCRIBED.

A buyer's photo (`photo` uploaded by the buyer) is what shows damage, a production/expiry date, fading, a defect or
a difference from the listing snapshot. The merchant's claims (`Claim.WORN`, `Claim.TAGS_REMOVED`) count as shown
when the merchant has a photo or chat log on file.
"""

from rulebook.decisions import Decision
from rulebook.enums import CaseKind, Claim, EvidenceKind, Outcome, Party, ReasonCode, ShipmentState
from rulebook.facts import CaseFacts
from rulebook.rules.common import Finding, Verdict, buyer_photos, evidence_by, grant, refundable, said, settle, to_agent

SMALL = "R-SMALL"
EXPIRED = "R-EXPIRED"
WASH = "R-WASH"
WORN = "R-WORN"
NOT_AS_DESCRIBED = "R-NOT-AS-DESCRIBED"

DEFECT_REASONS = frozenset({ReasonCode.QUALITY_DEFECT, ReasonCode.NOT_AS_DESCRIBED, ReasonCode.DAMAGED})
DESCRIPTION_REASONS = frozenset({ReasonCode.NOT_AS_DESCRIBED, ReasonCode.WRONG_ITEM, ReasonCode.MISSING_ITEM})


def small(facts: CaseFacts) -> Verdict:
    """R-SMALL: small damage of small value, shown by photos, is refunded at once (小金额但影响心情,得管)."""
    if facts.kind != CaseKind.REFUND_ONLY or facts.reason != ReasonCode.DAMAGED:
        return None
    if facts.shipment != ShipmentState.DELIVERED:
        return None
    threshold, photos = facts.thresholds.small_claim_threshold_cents, buyer_photos(facts)
    if not photos:
        return Finding(SMALL, "小额破损需买家上传照片。", "Small damage needs the buyer's photos.")
    if facts.amount_cents > threshold:
        return Finding(
            SMALL,
            f"申请金额{facts.amount_cents}分高于小额阈值{threshold}分,由商家处理。",
            f"The amount asked ({facts.amount_cents} fen) is above the small-claim threshold ({threshold} fen).",
            photos,
        )
    finding = Finding(
        SMALL,
        "小金额但影响心情,得管:按照片直接退还损坏部分的钱,无需等待商家。",
        "Small damage of small value shown by photos: the damaged part is refunded at once, no merchant wait.",
        photos,
    )
    partial = facts.amount_cents < refundable(facts)
    return settle(facts, Outcome.PARTIAL_REFUND if partial else Outcome.REFUND, finding)


def expired(facts: CaseFacts) -> Verdict:
    """R-EXPIRED: expired or near-expiry goods are refunded on a photo of the production/expiry date."""
    if facts.reason != ReasonCode.EXPIRED:
        return None
    photos = buyer_photos(facts)
    if not photos:
        return Finding(
            EXPIRED,
            "请买家拍清楚商品的生产日期和保质期后上传。",
            "Ask the buyer to photograph exactly the production and expiry dates.",
        )
    finding = Finding(
        EXPIRED,
        "买家照片显示商品到货时已过期或临期,支持买家。",
        "The buyer's photo shows the production/expiry date: the goods were expired or near expiry on arrival.",
        photos,
    )
    return grant(facts, finding)


def wash(facts: CaseFacts) -> Verdict:
    """R-WASH: faded after one wash. No "do not wash" on the listing → the buyer; else exchange or partial refund."""
    if facts.reason != ReasonCode.FADED_AFTER_WASH:
        return None
    photos = buyer_photos(facts)
    if not photos:
        return Finding(WASH, "请买家上传褪色衣物的照片。", "Ask the buyer for photos of the faded garment.")
    if facts.policy.washable:
        zh = "商品详情页未标明“不可水洗”,洗后掉色属商品问题,支持买家。"
        en = 'The listing did not say "do not wash": fading after one wash is the goods\' fault; the buyer wins.'
        return grant(facts, Finding(WASH, zh, en, photos))
    if facts.kind == CaseKind.EXCHANGE:
        zh = "商品详情页已标明“不可水洗”,协调换一件新的。"
        en = 'The listing said "do not wash": an exchange is offered.'
        return settle(facts, Outcome.EXCHANGE, Finding(WASH, zh, en, photos))
    percent = facts.thresholds.wash_partial_refund_percent
    zh = f"商品详情页已标明“不可水洗”,协调折价退款({percent}%)。"
    en = f'The listing said "do not wash": a partial refund ({percent}%) is offered.'
    amount = facts.amount_cents * percent // 100
    return settle(facts, Outcome.PARTIAL_REFUND, Finding(WASH, zh, en, photos), amount=amount)


def worn(facts: CaseFacts) -> Verdict:
    """R-WORN: the merchant says the goods were used. A quality defect wins over use; worn, tags off → reject."""
    if not (said(facts, Party.MERCHANT, Claim.WORN) or said(facts, Party.MERCHANT, Claim.TAGS_REMOVED)):
        return None
    photos = buyer_photos(facts)
    if facts.reason in DEFECT_REASONS and photos:
        zh = "买家照片显示商品本身存在质量问题(如开线、鞋型设计磨脚),即使已使用也支持退货,商家承担运费。"
        en = (
            "The buyer's photos show a quality defect (e.g. seams opening, a shoe that rubs by design): "
            "the return is supported even though the goods were used."
        )
        return grant(facts, Finding(WORN, zh, en, photos))
    shown = evidence_by(facts, Party.MERCHANT, EvidenceKind.PHOTO, EvidenceKind.CHAT_LOG)
    tags_off = said(facts, Party.MERCHANT, Claim.TAGS_REMOVED)
    if shown and tags_off and (said(facts, Party.MERCHANT, Claim.WORN) or facts.policy.returnable_with_tags_only):
        return _worn_rejected(facts, shown)
    zh = "商家称商品已被使用,但现有证据不足以判断,转平台客服裁决。"
    en = "The merchant says the goods were used, but the evidence on file does not settle it: an agent decides."
    return to_agent(Finding(WORN, zh, en, shown + photos))


def _worn_rejected(facts: CaseFacts, shown: tuple[str, ...]) -> Decision:
    zh = "商家证据显示商品已穿用且吊牌已拆,无质量问题,驳回退货。"
    en = "The merchant's evidence shows the goods worn with the tags removed and no defect: the return is rejected."
    if facts.policy.returnable_with_tags_only:
        zh = "商品页写明“未拆吊牌可退”," + zh
        en = 'The listing says "returnable with tags on". ' + en
    return Decision(Outcome.REJECT, 0, (WORN,), zh, en, evidence_ids=shown)


def not_as_described(facts: CaseFacts) -> Verdict:
    """R-NOT-AS-DESCRIBED: goods differ from the listing snapshot, shown by buyer photos → the merchant pays."""
    if facts.reason not in DESCRIPTION_REASONS:
        return None
    photos = buyer_photos(facts)
    if not photos:
        return Finding(
            NOT_AS_DESCRIBED,
            "请买家上传与商品快照对比的实拍照片。",
            "Ask the buyer for photos of the goods against the listing snapshot.",
        )
    zh = "买家实拍图与下单时的商品快照不符,商家承担运费。"
    en = "The buyer's photos show goods that differ from the listing snapshot; the merchant bears the shipping."
    finding = Finding(NOT_AS_DESCRIBED, zh, en, photos)
    return settle(facts, _described_remedy(facts), finding)


def _described_remedy(facts: CaseFacts) -> Outcome:
    """Return and refund, or what the buyer asked instead: only the money back, an exchange; missing pieces reship."""
    if facts.kind == CaseKind.REFUND_ONLY:
        return Outcome.REFUND
    if facts.reason == ReasonCode.MISSING_ITEM:
        return Outcome.RESHIP
    return Outcome.EXCHANGE if facts.kind == CaseKind.EXCHANGE else Outcome.RETURN_REFUND
