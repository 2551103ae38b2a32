"""The seed's own stories (seed/000_61bd07624ec843f6.txt), each told as the facts the platform would have."""

from datetime import timedelta

from rulebook.decide import on_merchant_timeout, on_open, recommend, triage
from rulebook.enums import CaseKind, Claim, ExceptionKind, Outcome, Party, ReasonCode, Resolution, ShipmentState
from rulebook.facts import ListingPolicy, Statement
from rulebook.ranking import rank
from tests.rulebook.factory import DELIVERED_AT, NOW, delivered, facts, in_transit, merchant_says, photo

LATE = DELIVERED_AT + timedelta(days=20)  # past the seven days: no-reason return cannot carry these stories


def test_the_faded_shirt() -> None:
    """同事买的衣服洗了一次掉色,商家说影响二次销售;详情页没写不可水洗 → 支持买家;写了 → 换一件或折钱。"""
    shirt = {
        "kind": CaseKind.RETURN_REFUND,
        "reason": ReasonCode.FADED_AFTER_WASH,
        "amount_cents": 12900,
        "paid_cents": 12900,
        "evidence": (photo("ev-faded"),),
        "statements": merchant_says(Claim.NOT_RESALEABLE, text="影响二次销售"),
        "now": LATE,
    }
    supported = on_merchant_timeout(facts(**shirt, policy=ListingPolicy(washable=True)))
    assert (supported.outcome, supported.amount_cents) == (Outcome.RETURN_REFUND, 12900)
    assert supported.rules == ("R-TIMEOUT", "R-WASH") and supported.evidence_ids == ("ev-faded",)
    assert not supported.buyer_pays_return_shipping
    do_not_wash = recommend(facts(**shirt | {"kind": CaseKind.EXCHANGE}, policy=ListingPolicy(washable=False)))
    assert (do_not_wash.outcome, do_not_wash.rules) == (Outcome.EXCHANGE, ("R-WASH",))  # 帮她换了件新的


def test_the_shoe_that_rubs() -> None:
    """鞋子磨脚,穿了一天要退,商家说穿过了不行;磨损位置是鞋型设计问题 → 仍然退款。"""
    shoe = facts(
        kind=CaseKind.RETURN_REFUND,
        reason=ReasonCode.QUALITY_DEFECT,
        description="鞋子磨脚,只穿了一天",
        amount_cents=39900,
        paid_cents=39900,
        evidence=(photo("ev-heel", note="后跟内侧磨损位置"),),
        statements=merchant_says(Claim.WORN, text="穿过了不行"),
        now=LATE,
    )
    decision = on_merchant_timeout(shoe)
    assert (decision.outcome, decision.amount_cents) == (Outcome.RETURN_REFUND, 39900)
    assert decision.rules == ("R-TIMEOUT", "R-WORN")
    assert decision.evidence_ids == ("ev-heel",) and not decision.buyer_pays_return_shipping
    assert recommend(shoe).outcome == Outcome.RETURN_REFUND  # an agent looking at it sees the same


def test_the_expired_supplement() -> None:
    """我妈买的保健品过期了,选仅退款,按提示拍清楚保质期和生产日期 → 退款。"""
    supplement = {"reason": ReasonCode.EXPIRED, "amount_cents": 16800, "paid_cents": 16800, "now": LATE}
    asked_for_photo = on_merchant_timeout(facts(**supplement))
    assert asked_for_photo.outcome == Outcome.TO_AGENT
    assert any("生产日期和保质期" in f for f in asked_for_photo.findings)
    with_photo = facts(**supplement, evidence=(photo("ev-dates", note="保质期至2023-12-01"),))
    decision = on_merchant_timeout(with_photo)
    assert (decision.outcome, decision.amount_cents, decision.rules) == (
        Outcome.REFUND,
        16800,
        ("R-TIMEOUT", "R-EXPIRED"),
    )


def test_the_two_bruised_fruits() -> None:
    """水果烂了两个,商家不肯赔(说正常损耗);照片显示运输压坏 → 直接退那两个的钱:小金额但影响心情,得管。"""
    fruit = facts(
        reason=ReasonCode.DAMAGED,
        description="烂了两个",
        amount_cents=1200,
        paid_cents=5990,
        policy=ListingPolicy(perishable=True, category="fresh"),
        evidence=(photo("ev-bruised"),),
        statements=(Statement(Party.MERCHANT, "normal_loss", "正常损耗"),),
    )
    decision = on_open(fruit)
    assert decision is not None
    assert (decision.outcome, decision.amount_cents) == (Outcome.PARTIAL_REFUND, 1200)
    assert decision.rules == ("R-SMALL",) and decision.evidence_ids == ("ev-bruised",)
    assert "小金额但影响心情,得管" in decision.rationale_zh


def test_the_missing_blocks_for_a_waiting_child() -> None:
    """积木缺了3块,孩子急得哭了,商家说补发要等一周;后台看到"孩子等着玩",当天调了套新的送过去。"""
    blocks = facts(
        kind=CaseKind.EXCHANGE,
        reason=ReasonCode.MISSING_ITEM,
        description="积木缺了3块,孩子等着玩",
        amount_cents=19900,
        paid_cents=19900,
        evidence=(photo("ev-box"),),
        statements=(Statement(Party.MERCHANT, "message", "补发要等一周"),),
    )
    flagged = triage(blocks)
    assert flagged.urgent and flagged.rules == ("R-URGENT",)
    assert flagged.resolutions[0] == Resolution.SAME_DAY_LOCAL_RESHIP
    decision = on_merchant_timeout(blocks)
    assert (decision.outcome, decision.urgent) == (Outcome.RESHIP, True)
    assert decision.rules == ("R-TIMEOUT", "R-NOT-AS-DESCRIBED", "R-URGENT")
    assert decision.resolutions == (
        Resolution.SAME_DAY_LOCAL_RESHIP,
        Resolution.EMERGENCY_TRANSFER,
        Resolution.RESHIP_MISSING_WITH_COUPON,
    )
    history = {(ExceptionKind.MISSED_ITEM, Resolution.RESHIP_MISSING_WITH_COUPON): (98, 100)}
    assert rank(ExceptionKind.MISSED_ITEM, history, urgent=True)[0].resolution == Resolution.SAME_DAY_LOCAL_RESHIP


def test_the_merchant_silent_for_24_hours() -> None:
    """商家超过24小时没回应,后台自动介入,按买家合理诉求判。"""
    case = facts(kind=CaseKind.RETURN_REFUND, reason=ReasonCode.NO_REASON)
    assert case.now - case.delivered_at <= timedelta(days=7)  # type: ignore[operator]
    decision = on_merchant_timeout(case)
    assert decision.outcome == Outcome.RETURN_REFUND and decision.rules[0] == "R-TIMEOUT"


def test_the_parcel_stuck_for_three_days() -> None:
    """快递停在一个地方超过3天没动 → 催快递 + 给买家发5元无门槛券。"""
    case = facts(
        kind=CaseKind.LOGISTICS_STALLED,
        shipment=ShipmentState.IN_TRANSIT,
        delivered_at=None,
        tracking=(in_transit(NOW - timedelta(days=3, hours=1)),),
    )
    decision = on_merchant_timeout(case)
    assert (decision.outcome, decision.amount_cents) == (Outcome.COUPON, 500)


def test_the_parcel_signed_for_but_never_received() -> None:
    """显示已签收但买家说没收到:快递有拍照留证且买家找不到凭证 → 平台核实;没有留证 → 倾向买家。"""
    with_photo = facts(kind=CaseKind.NOT_RECEIVED, reason=ReasonCode.NOT_RECEIVED, tracking=(delivered(proof="pod-1"),))
    assert on_merchant_timeout(with_photo).outcome == Outcome.TO_AGENT
    without = facts(kind=CaseKind.NOT_RECEIVED, reason=ReasonCode.NOT_RECEIVED, tracking=(delivered(),))
    assert on_merchant_timeout(without).outcome == Outcome.RESHIP


def test_the_worn_clothes_with_tags_removed() -> None:
    """商家说买家恶意退货:真穿了且吊牌没了,没有质量问题 → 驳回。"""
    case = facts(
        kind=CaseKind.RETURN_REFUND,
        reason=ReasonCode.NO_REASON,
        policy=ListingPolicy(returnable_with_tags_only=True),
        evidence=(photo("ev-worn", by=Party.MERCHANT),),
        statements=merchant_says(Claim.WORN, Claim.TAGS_REMOVED),
    )
    decision = recommend(case)
    assert (decision.outcome, decision.rules, decision.evidence_ids) == (Outcome.REJECT, ("R-WORN",), ("ev-worn",))


def test_refund_only_before_delivery_intercepts_the_parcel() -> None:
    """买家申请仅退款但已发货:未签收则拦截退款。"""
    case = facts(shipment=ShipmentState.IN_TRANSIT, delivered_at=None)
    assert on_merchant_timeout(case).outcome == Outcome.REFUND
