"""Progress messages: who hears of what, in Chinese and English."""

from activities.notices import notices_for
from models.notification import TEXT_MAX
from rulebook.enums import Party


def test_a_decision_reaches_both_parties_with_the_outcome_in_their_language() -> None:
    data = {"outcome": "partial_refund", "amount_cents": 2000, "rationale_zh": "照片显示破损", "rationale_en": "hurt"}
    notices = notices_for("decision_made", data)
    assert [n.to for n in notices] == [Party.BUYER, Party.MERCHANT]
    assert notices[0].zh == "处理结果:部分退款 ¥20.00。依据:照片显示破损"
    assert notices[0].en == "Decision: partial refund ¥20.00. Why: hurt"


def test_a_hand_off_to_support_reads_as_words_not_codes() -> None:
    data = {"outcome": "to_agent", "amount_cents": 0, "rationale_zh": "规则未能裁决", "rationale_en": "no rule"}
    for notice in notices_for("decision_made", data):
        assert "平台客服" in notice.zh and "Platform support" in notice.en
        assert "to_agent" not in notice.zh + notice.en and "¥0.00" not in notice.zh


def test_a_resolution_menu_is_named_in_chinese() -> None:
    data = {
        "kind": "logistics_stalled",
        "order_id": "o-1",
        "deadline": "2026-12-01T10:00:00+00:00",
        "menu": ["urge_courier_coupon"],
    }
    to_merchant, _ = notices_for("exception_alert", data)
    assert "催促快递并发放优惠券" in to_merchant.zh and "urge_courier_coupon" not in to_merchant.zh + to_merchant.en


def test_a_message_reaches_the_other_party_and_an_agents_reaches_both() -> None:
    from_buyer = notices_for("message", {"text": "还没收到", "actor_role": "buyer"})
    from_agent = notices_for("message", {"text": "请补充照片", "actor_role": "agent"})
    assert [(n.to, n.zh) for n in from_buyer] == [(Party.MERCHANT, "买家留言:还没收到")]
    assert [n.to for n in from_agent] == [Party.BUYER, Party.MERCHANT]


def test_evidence_is_announced_to_the_other_party_only() -> None:
    from_buyer = notices_for("evidence_added", {"kind": "photo", "actor_role": "buyer"})
    from_agent = notices_for("evidence_added", {"kind": "photo", "actor_role": "agent"})
    assert [n.to for n in from_buyer] == [Party.MERCHANT]
    assert [n.to for n in from_agent] == [Party.BUYER, Party.MERCHANT]


def test_a_timer_running_out_says_which_and_whose() -> None:
    (to_buyer, _) = notices_for("deadline_passed", {"timer": "T-MERCHANT", "waited_on": "merchant"})
    assert "商家答复期限" in to_buyer.zh and "商家" in to_buyer.zh and "merchant" in to_buyer.en
    assert "T-MERCHANT" not in to_buyer.zh


def test_events_nobody_needs_to_hear_of_send_nothing() -> None:
    assert notices_for("stock_checked", {"sku": "tee-1", "in_stock": True}) == []


def test_a_long_reason_is_cut_to_what_a_message_can_hold() -> None:
    (to_buyer,) = notices_for("merchant_rejected", {"reason": "不" * 2000})
    assert len(to_buyer.zh) == TEXT_MAX and to_buyer.zh.endswith("…")
    assert len(to_buyer.en) <= TEXT_MAX


PASSED = {
    "timer": "T-MERCHANT",
    "set_at": "2027-02-04T00:00:00+00:00",
    "wait": "24h",
    "paused": "7d",
    "pauses": [{"start": "2027-02-04T16:00:00+00:00", "end": "2027-02-11T16:00:00+00:00"}],
    "extension": {"duration": "6h", "reason": "春节后补货", "new_deadline": "2027-02-12T06:00:00+00:00"},
    "deadline": "2027-02-12T06:00:00+00:00",
    "waited_on": "merchant",
    "case_status": "awaiting_merchant",
    "then": "platform_steps_in",
}


def test_a_timer_running_out_says_when_it_was_set_what_it_included_and_what_happens_now() -> None:
    to_buyer, to_merchant = notices_for("deadline_passed", PASSED)
    assert (to_buyer.to, to_merchant.to) == (Party.BUYER, Party.MERCHANT)
    assert to_buyer.zh == (
        "商家答复期限已到期(设定于2027-02-04 08:00(北京时间),时长24小时,已顺延平台暂停的7天,"
        "含商家申请的延长6小时,截止2027-02-12 14:00(北京时间))。商家未在时限内处理,平台已按规则自动介入。"
    )
    assert to_buyer.en == (
        "The merchant's reply deadline ran out (set 2027-02-04 08:00 (Beijing time) for 24h, plus 7d the platform "
        "paused, plus the merchant's 6h extension, due 2027-02-12 14:00 (Beijing time)). The merchant did not act in "
        "time, so the platform stepped in by the rule book."
    )


def test_each_consequence_is_told_in_its_own_words() -> None:
    goods = {**PASSED, "timer": "T-STALL", "then": "agent_steps_in", "case_status": "return_in_transit"}
    assert notices_for("deadline_passed", goods)[0].zh.endswith("退货物流长时间没有更新,平台客服将介入处理。")
    lapsed = {**PASSED, "timer": "T-BUYER-REPLY", "then": "proposal_lapses", "paused": None, "extension": None}
    (to_buyer, _) = notices_for("deadline_passed", lapsed)
    assert to_buyer.zh.startswith("买家答复期限已到期(设定于2027-02-04 08:00(北京时间),时长24小时,截止")
    assert "暂停" not in to_buyer.zh and "延长" not in to_buyer.zh
    assert to_buyer.zh.endswith("买家未在时限内答复,方案已失效,平台将依据现有材料处理。")


def test_an_extension_is_told_to_both_parties_with_the_new_deadline_and_the_reason() -> None:
    notices = notices_for("deadline_extended", PASSED)
    assert [n.to for n in notices] == [Party.BUYER, Party.MERCHANT]
    assert notices[0].zh == "商家申请延长处理时间至2027-02-12 14:00(北京时间),原因:春节后补货"
    assert notices[0].en == (
        "The merchant extended the deadline by 6h to 2027-02-12 14:00 (Beijing time), because: 春节后补货"
    )
