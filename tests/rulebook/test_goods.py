"""R-SMALL, R-EXPIRED, R-WASH, R-WORN and R-NOT-AS-DESCRIBED: the state of delivered goods."""

from datetime import timedelta

import pytest

from rulebook.decide import on_merchant_timeout, on_open, recommend
from rulebook.enums import CaseKind, Claim, EvidenceKind, Outcome, Party, ReasonCode, ShipmentState
from rulebook.facts import CaseFacts, EvidenceOnFile, ListingPolicy, Thresholds
from rulebook.rules.common import Finding
from rulebook.rules.goods import expired, not_as_described, small, wash, worn
from tests.rulebook.factory import DELIVERED_AT, facts, merchant_says, photo

MERCHANT_PHOTO = photo("ev-merchant", by=Party.MERCHANT)
MERCHANT_CHAT = EvidenceOnFile("ev-chat", EvidenceKind.CHAT_LOG, Party.MERCHANT)

# --- R-SMALL -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "decided_at_once"),
    [(1, True), (1999, True), (2000, True), (2001, False), (5900, False)],
    ids=["one-fen", "below", "at-threshold", "one-fen-above", "whole-order"],
)
def test_r_small_threshold(amount: int, decided_at_once: bool) -> None:
    decision = on_open(facts(reason=ReasonCode.DAMAGED, amount_cents=amount, evidence=(photo(),)))
    assert (decision is not None) is decided_at_once
    if decision is not None:
        assert (decision.outcome, decision.amount_cents) == (Outcome.PARTIAL_REFUND, amount)
        assert decision.rules == ("R-SMALL",) and decision.evidence_ids == ("ev-buyer-photo",)


def test_r_small_threshold_is_a_setting() -> None:
    case = facts(reason=ReasonCode.DAMAGED, amount_cents=3000, evidence=(photo(),))
    assert on_open(case) is None
    decision = on_open(
        facts(
            reason=ReasonCode.DAMAGED,
            amount_cents=3000,
            evidence=(photo(),),
            thresholds=Thresholds(small_claim_threshold_cents=3000),
        )
    )
    assert decision is not None and decision.amount_cents == 3000


def test_r_small_needs_photos() -> None:
    verdict = small(facts(reason=ReasonCode.DAMAGED, amount_cents=800))
    assert isinstance(verdict, Finding) and verdict.rule == "R-SMALL"
    assert on_open(facts(reason=ReasonCode.DAMAGED, amount_cents=800)) is None


def test_r_small_whole_small_order_is_a_full_refund() -> None:
    decision = on_open(facts(reason=ReasonCode.DAMAGED, amount_cents=1500, paid_cents=1500, evidence=(photo(),)))
    assert decision is not None and (decision.outcome, decision.amount_cents) == (Outcome.REFUND, 1500)


def test_r_small_above_the_threshold_waits_then_photos_decide() -> None:
    case = facts(reason=ReasonCode.DAMAGED, amount_cents=2001, evidence=(photo(),))
    decision = on_merchant_timeout(case)
    assert (decision.outcome, decision.amount_cents) == (Outcome.REFUND, 2001)
    assert decision.rules == ("R-TIMEOUT",)


def test_r_small_only_for_delivered_refund_only_damage() -> None:
    assert small(facts(kind=CaseKind.RETURN_REFUND, reason=ReasonCode.DAMAGED, evidence=(photo(),))) is None
    assert small(facts(reason=ReasonCode.QUALITY_DEFECT, amount_cents=100, evidence=(photo(),))) is None


# --- R-EXPIRED ---------------------------------------------------------------------------------------------------


def test_r_expired_refunds_on_a_photo_of_the_date() -> None:
    case = facts(reason=ReasonCode.EXPIRED, evidence=(photo(note="保质期 2023-12"),))
    decision = on_merchant_timeout(case)
    assert (decision.outcome, decision.amount_cents) == (Outcome.REFUND, 5900)
    assert decision.rules == ("R-TIMEOUT", "R-EXPIRED")
    assert decision.evidence_ids == ("ev-buyer-photo",)


def test_r_expired_without_a_photo_tells_the_buyer_what_to_photograph() -> None:
    verdict = expired(facts(reason=ReasonCode.EXPIRED))
    assert isinstance(verdict, Finding) and verdict.rule == "R-EXPIRED"
    assert "生产日期和保质期" in verdict.text_zh
    assert on_merchant_timeout(facts(reason=ReasonCode.EXPIRED)).outcome == Outcome.TO_AGENT


def test_r_expired_return_is_at_the_merchants_cost() -> None:
    decision = recommend(facts(kind=CaseKind.RETURN_REFUND, reason=ReasonCode.EXPIRED, evidence=(photo(),)))
    assert (decision.outcome, decision.buyer_pays_return_shipping) == (Outcome.RETURN_REFUND, False)
    assert decision.rules == ("R-EXPIRED",)


# --- R-WASH ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "washable", "outcome", "amount"),
    [
        (CaseKind.RETURN_REFUND, True, Outcome.RETURN_REFUND, 5900),
        (CaseKind.REFUND_ONLY, True, Outcome.REFUND, 5900),
        (CaseKind.EXCHANGE, True, Outcome.EXCHANGE, 0),
        (CaseKind.EXCHANGE, False, Outcome.EXCHANGE, 0),
        (CaseKind.RETURN_REFUND, False, Outcome.PARTIAL_REFUND, 1770),
        (CaseKind.REFUND_ONLY, False, Outcome.PARTIAL_REFUND, 1770),
    ],
)
def test_r_wash(kind: CaseKind, washable: bool, outcome: Outcome, amount: int) -> None:
    case = facts(
        kind=kind, reason=ReasonCode.FADED_AFTER_WASH, policy=ListingPolicy(washable=washable), evidence=(photo(),)
    )
    decision = recommend(case)
    assert (decision.outcome, decision.amount_cents, decision.rules) == (outcome, amount, ("R-WASH",))
    assert not decision.buyer_pays_return_shipping


def test_r_wash_partial_refund_share_is_a_setting() -> None:
    case = facts(
        reason=ReasonCode.FADED_AFTER_WASH,
        policy=ListingPolicy(washable=False),
        evidence=(photo(),),
        thresholds=Thresholds(wash_partial_refund_percent=50),
    )
    assert recommend(case).amount_cents == 2950


def test_r_wash_needs_a_photo() -> None:
    verdict = wash(facts(reason=ReasonCode.FADED_AFTER_WASH))
    assert isinstance(verdict, Finding) and verdict.rule == "R-WASH"


# --- R-WORN ------------------------------------------------------------------------------------------------------


def worn_case(
    reason: ReasonCode, *evidence: EvidenceOnFile, claims: tuple[Claim, ...] = (Claim.WORN,), tags_only: bool = False
) -> CaseFacts:
    return facts(
        kind=CaseKind.RETURN_REFUND,
        reason=reason,
        evidence=evidence,
        statements=merchant_says(*claims),
        policy=ListingPolicy(returnable_with_tags_only=tags_only),
    )


def test_r_worn_quality_defect_wins_over_use() -> None:
    case = worn_case(ReasonCode.QUALITY_DEFECT, photo(), MERCHANT_PHOTO, claims=(Claim.WORN, Claim.TAGS_REMOVED))
    decision = recommend(case)
    assert (decision.outcome, decision.rules) == (Outcome.RETURN_REFUND, ("R-WORN",))
    assert not decision.buyer_pays_return_shipping


@pytest.mark.parametrize(
    ("claims", "tags_only", "evidence", "outcome"),
    [
        ((Claim.WORN, Claim.TAGS_REMOVED), False, (MERCHANT_PHOTO,), Outcome.REJECT),
        ((Claim.TAGS_REMOVED,), True, (MERCHANT_CHAT,), Outcome.REJECT),  # the listing said "with tags on"
        ((Claim.TAGS_REMOVED,), False, (MERCHANT_PHOTO,), Outcome.TO_AGENT),  # tags alone don't break this listing
        ((Claim.WORN, Claim.TAGS_REMOVED), False, (), Outcome.TO_AGENT),  # claims without evidence
        ((Claim.WORN,), True, (MERCHANT_PHOTO,), Outcome.TO_AGENT),  # worn, tags still on
    ],
)
def test_r_worn_policy_vs_evidence(
    claims: tuple[Claim, ...], tags_only: bool, evidence: tuple[EvidenceOnFile, ...], outcome: Outcome
) -> None:
    decision = recommend(worn_case(ReasonCode.NO_REASON, *evidence, claims=claims, tags_only=tags_only))
    assert decision.outcome == outcome
    assert "R-WORN" in decision.rules


def test_r_worn_rejection_names_the_listing_policy() -> None:
    case = worn_case(ReasonCode.NO_REASON, MERCHANT_PHOTO, claims=(Claim.WORN, Claim.TAGS_REMOVED), tags_only=True)
    decision = recommend(case)
    assert "returnable with tags on" in decision.rationale_en and "未拆吊牌可退" in decision.rationale_zh
    assert decision.evidence_ids == ("ev-merchant",)


def test_r_worn_never_rejects_on_a_merchant_timeout() -> None:
    case = worn_case(ReasonCode.NO_REASON, MERCHANT_PHOTO, claims=(Claim.WORN, Claim.TAGS_REMOVED))
    decision = on_merchant_timeout(case)
    assert decision.outcome == Outcome.TO_AGENT
    assert any(f.startswith("R-WORN:") and "rejected" in f for f in decision.findings)


def test_r_worn_silent_without_the_merchants_claim() -> None:
    assert worn(facts(kind=CaseKind.RETURN_REFUND, reason=ReasonCode.QUALITY_DEFECT, evidence=(photo(),))) is None


# --- R-NOT-AS-DESCRIBED ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "reason", "outcome", "amount"),
    [
        (CaseKind.RETURN_REFUND, ReasonCode.NOT_AS_DESCRIBED, Outcome.RETURN_REFUND, 5900),
        (CaseKind.REFUND_ONLY, ReasonCode.NOT_AS_DESCRIBED, Outcome.REFUND, 5900),  # only the money was asked
        (CaseKind.EXCHANGE, ReasonCode.WRONG_ITEM, Outcome.EXCHANGE, 0),
        (CaseKind.RETURN_REFUND, ReasonCode.WRONG_ITEM, Outcome.RETURN_REFUND, 5900),
        (CaseKind.EXCHANGE, ReasonCode.MISSING_ITEM, Outcome.RESHIP, 0),  # nothing to send back
        (CaseKind.RETURN_REFUND, ReasonCode.MISSING_ITEM, Outcome.RESHIP, 0),
        (CaseKind.REFUND_ONLY, ReasonCode.MISSING_ITEM, Outcome.REFUND, 5900),
    ],
)
def test_r_not_as_described_merchant_makes_it_right(
    kind: CaseKind, reason: ReasonCode, outcome: Outcome, amount: int
) -> None:
    decision = on_merchant_timeout(facts(kind=kind, reason=reason, evidence=(photo(),)))
    assert (decision.outcome, decision.amount_cents) == (outcome, amount)
    assert decision.rules == ("R-TIMEOUT", "R-NOT-AS-DESCRIBED")
    assert not decision.buyer_pays_return_shipping  # the merchant bears the return shipping


def test_r_not_as_described_needs_buyer_photos() -> None:
    late = DELIVERED_AT + timedelta(days=30)  # past R-7D too
    case = facts(kind=CaseKind.RETURN_REFUND, reason=ReasonCode.NOT_AS_DESCRIBED, evidence=(MERCHANT_PHOTO,), now=late)
    verdict = not_as_described(case)
    assert isinstance(verdict, Finding) and verdict.rule == "R-NOT-AS-DESCRIBED"
    assert "listing snapshot" in verdict.text_en
    assert on_merchant_timeout(case).outcome == Outcome.TO_AGENT


def test_r_not_as_described_in_seven_days_beats_r_7d_on_who_pays() -> None:
    case = facts(kind=CaseKind.RETURN_REFUND, reason=ReasonCode.NOT_AS_DESCRIBED, evidence=(photo(),))
    decision = on_merchant_timeout(case)
    assert decision.rules == ("R-TIMEOUT", "R-NOT-AS-DESCRIBED") and not decision.buyer_pays_return_shipping
    without_photo = on_merchant_timeout(facts(kind=CaseKind.RETURN_REFUND, reason=ReasonCode.NOT_AS_DESCRIBED))
    assert without_photo.rules == ("R-TIMEOUT", "R-7D") and without_photo.buyer_pays_return_shipping


def test_goods_rules_wait_for_delivery_state_of_refund_only() -> None:
    case = facts(reason=ReasonCode.NOT_AS_DESCRIBED, evidence=(photo(),), shipment=ShipmentState.NOT_SHIPPED)
    decision = on_open(case)
    assert decision is not None and decision.rules == ("R-SHIPPED-REFUND-ONLY",)
