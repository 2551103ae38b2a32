"""Progress messages: who hears of what, in Chinese and English."""

from activities.notices import notices_for
from models.notification import TEXT_MAX
from rulebook.enums import Party


def test_a_decision_reaches_both_parties_with_the_outcome_in_their_language() -> None:
    data = {"outcome": "partial_refund", "amount_cents": 2000, "rationale_zh": "照片显示破损", "rationale_en": "hurt"}
    notices = notices_for("decision_made", data)
    assert [n.to for n in notices] == [Party.BUYER, Party.MERCHANT]
    assert notices[0].zh == "处理结果:部分退款 ¥20.00。依据:照片显示破损"
    assert notices[0].en == "Decision: partial_refund ¥20.00. Why: hurt"


def test_evidence_is_announced_to_the_other_party_only() -> None:
    from_buyer = notices_for("evidence_added", {"kind": "photo", "actor_role": "buyer"})
    from_agent = notices_for("evidence_added", {"kind": "photo", "actor_role": "agent"})
    assert [n.to for n in from_buyer] == [Party.MERCHANT]
    assert [n.to for n in from_agent] == [Party.BUYER, Party.MERCHANT]


def test_a_timer_running_out_says_which_and_whose() -> None:
    (to_buyer, _) = notices_for("deadline_passed", {"timer": "T-MERCHANT", "waited_on": "merchant"})
    assert "T-MERCHANT" in to_buyer.zh and "merchant" in to_buyer.en


def test_events_nobody_needs_to_hear_of_send_nothing() -> None:
    assert notices_for("case_closed", {"status": "resolved"}) == []


def test_a_long_reason_is_cut_to_what_a_message_can_hold() -> None:
    (to_buyer,) = notices_for("merchant_rejected", {"reason": "不" * 2000})
    assert len(to_buyer.zh) == TEXT_MAX and to_buyer.zh.endswith("…")
    assert len(to_buyer.en) <= TEXT_MAX
