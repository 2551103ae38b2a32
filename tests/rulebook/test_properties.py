"""Properties over any facts: never refund more than was paid or asked, and the same facts give the same decision."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from rulebook.decide import on_merchant_timeout, on_open, recommend
from rulebook.decisions import MONEY_OUTCOMES, Decision
from rulebook.enums import CaseKind, Claim, EvidenceKind, Outcome, Party, ReasonCode, ShipmentState, TrackingStatus
from rulebook.facts import CaseFacts, EvidenceOnFile, ListingPolicy, Statement, Thresholds, TrackingEvent
from rulebook.precedence import RULE_IDS
from rulebook.rules.seven_day import SHANGHAI, within_window

START = datetime(2024, 1, 1, tzinfo=UTC)
times = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2024, 3, 1), timezones=st.just(UTC))

evidence = st.builds(
    EvidenceOnFile,
    evidence_id=st.text("abc123", min_size=1, max_size=4),
    kind=st.sampled_from(EvidenceKind),
    uploaded_by=st.sampled_from(Party),
    note=st.sampled_from(["", "保质期", "磨损"]),
)
statements = st.builds(
    Statement,
    by=st.sampled_from(Party),
    claim=st.sampled_from([*Claim, "message"]),
    text=st.sampled_from(["", "孩子等着玩", "正常损耗", "urgent"]),
)
tracking = st.builds(
    TrackingEvent,
    status=st.sampled_from(TrackingStatus),
    at=times,
    proof_kind=st.sampled_from([None, "photo"]),
    proof_ref=st.sampled_from([None, "pod-1"]),
)
policies = st.builds(
    ListingPolicy,
    seven_day_return=st.booleans(),
    returnable_with_tags_only=st.booleans(),
    washable=st.booleans(),
    perishable=st.booleans(),
    custom_made=st.booleans(),
    category=st.sampled_from(["", "clothing", "fresh", "software", "newspaper", "digital_download"]),
)
thresholds = st.builds(
    Thresholds,
    small_claim_threshold_cents=st.integers(0, 10_000),
    stall_coupon_cents=st.integers(0, 2_000),
    wash_partial_refund_percent=st.integers(0, 100),
)


@st.composite
def case_facts(draw: st.DrawFn) -> CaseFacts:
    paid = draw(st.integers(0, 1_000_000))
    return CaseFacts(
        kind=draw(st.sampled_from(CaseKind)),
        reason=draw(st.sampled_from(ReasonCode)),
        amount_cents=draw(st.integers(0, 2 * paid + 1)),
        paid_cents=paid,
        refunded_cents=draw(st.integers(0, paid + 100)),
        shipment=draw(st.sampled_from(ShipmentState)),
        now=draw(times),
        delivered_at=draw(st.none() | times),
        tracking=tuple(draw(st.lists(tracking, max_size=3))),
        evidence=tuple(draw(st.lists(evidence, max_size=3))),
        statements=tuple(draw(st.lists(statements, max_size=3))),
        policy=draw(policies),
        thresholds=draw(thresholds),
        description=draw(st.sampled_from(["", "孩子等着玩", "颜色不对"])),
        urgent=draw(st.booleans()),
        shipping_insurance=draw(st.booleans()),
    )


def assert_within_what_was_paid(decision: Decision, facts: CaseFacts) -> None:
    assert decision.amount_cents >= 0
    if decision.outcome in MONEY_OUTCOMES:
        assert decision.amount_cents <= max(0, facts.paid_cents - facts.refunded_cents)
        assert decision.amount_cents <= facts.amount_cents
        assert decision.amount_cents > 0, "a refund of nothing is not a decision"
    elif decision.outcome != Outcome.COUPON:
        assert decision.amount_cents == 0
    assert set(decision.rules) <= set(RULE_IDS)
    assert decision.rules or decision.outcome == Outcome.TO_AGENT
    if decision.outcome == Outcome.TO_AGENT:
        assert decision.findings, "the agent starts from the rules' findings"
    assert decision.rationale_zh and decision.rationale_en


@settings(max_examples=400)
@given(case_facts())
def test_a_decision_never_refunds_more_than_was_paid_or_asked(facts: CaseFacts) -> None:
    timed_out = on_merchant_timeout(facts)
    assert_within_what_was_paid(timed_out, facts)
    assert timed_out.rules
    assert_within_what_was_paid(recommend(facts), facts)
    opened = on_open(facts)
    if opened is not None:
        assert_within_what_was_paid(opened, facts)
        assert opened.outcome != Outcome.TO_AGENT


@settings(max_examples=200)
@given(case_facts())
def test_the_same_facts_always_give_the_same_decision(facts: CaseFacts) -> None:
    copy = CaseFacts(**{name: getattr(facts, name) for name in facts.__dataclass_fields__})
    assert on_merchant_timeout(facts) == on_merchant_timeout(copy) == on_merchant_timeout(facts)
    assert on_open(facts) == on_open(copy)
    assert recommend(facts) == recommend(copy)


@settings(max_examples=300)
@given(case_facts())
def test_a_merchant_timeout_never_rejects_and_always_says_so(facts: CaseFacts) -> None:
    decision = on_merchant_timeout(facts)
    assert decision.outcome != Outcome.REJECT
    assert decision.rules[0] == "R-TIMEOUT"
    if decision.outcome == Outcome.TO_AGENT:
        assert decision.findings and decision.findings[-1].startswith("R-TIMEOUT")


@given(times, st.integers(0, 60 * 24 * 12))
def test_r_7d_window_is_seven_shanghai_calendar_days_after_delivery(delivered_at: datetime, minutes: int) -> None:
    now = delivered_at + timedelta(minutes=minutes)
    days_after = (now.astimezone(SHANGHAI).date() - delivered_at.astimezone(SHANGHAI).date()).days
    assert within_window(delivered_at, now) is (days_after <= 7)
