"""The entry points: R-TIMEOUT, R-URGENT, and the order of precedence when two rules apply."""

import re
from datetime import timedelta

import pytest

import rulebook.precedence
from rulebook.decide import on_merchant_timeout, on_open, recommend, triage
from rulebook.decisions import Decision
from rulebook.enums import CaseKind, Claim, Outcome, Party, ReasonCode, Resolution, ShipmentState
from rulebook.facts import CaseFacts, Statement
from rulebook.precedence import PRECEDENCE, PRECEDENCE_IDS, RULE_IDS, evaluate
from tests.rulebook.factory import DELIVERED_AT, facts, merchant_says, photo

LATE = DELIVERED_AT + timedelta(days=30)

# --- R-TIMEOUT ---------------------------------------------------------------------------------------------------


def test_r_timeout_grants_a_request_backed_by_quality_evidence() -> None:
    case = facts(kind=CaseKind.RETURN_REFUND, reason=ReasonCode.QUALITY_DEFECT, evidence=(photo(),), now=LATE)
    decision = on_merchant_timeout(case)
    assert (decision.outcome, decision.amount_cents, decision.rules) == (Outcome.RETURN_REFUND, 5900, ("R-TIMEOUT",))
    assert decision.evidence_ids == ("ev-buyer-photo",) and not decision.buyer_pays_return_shipping
    assert decision.rationale_zh.startswith("商家超时未处理,平台自动介入")
    assert decision.rationale_en.startswith("The merchant did not answer in time")


def test_r_timeout_otherwise_goes_to_an_agent_with_the_findings() -> None:
    case = facts(kind=CaseKind.RETURN_REFUND, reason=ReasonCode.QUALITY_DEFECT, now=LATE)  # no photo, past R-7D
    decision = on_merchant_timeout(case)
    assert (decision.outcome, decision.amount_cents) == (Outcome.TO_AGENT, 0)
    assert decision.rules == ("R-TIMEOUT", "R-7D")
    assert [f.split(":")[0] for f in decision.findings] == ["R-7D", "R-TIMEOUT"]


@pytest.mark.parametrize("kind", [CaseKind.MISSED_SHIPMENT, CaseKind.OVERSOLD])
def test_r_timeout_exceptions_without_a_rule_go_to_an_agent(kind: CaseKind) -> None:
    decision = on_merchant_timeout(facts(kind=kind, reason=ReasonCode.NOT_SHIPPED, shipment=ShipmentState.NOT_SHIPPED))
    assert decision.outcome == Outcome.TO_AGENT and decision.rules == ("R-TIMEOUT",)
    assert decision.findings and decision.findings[-1].startswith("R-TIMEOUT")


def test_r_timeout_photos_do_not_turn_an_exception_into_a_refund() -> None:
    case = facts(kind=CaseKind.OVERSOLD, reason=ReasonCode.DAMAGED, evidence=(photo(),))
    assert on_merchant_timeout(case).outcome == Outcome.TO_AGENT


def test_nothing_left_to_refund_goes_to_an_agent() -> None:
    decision = on_merchant_timeout(facts(reason=ReasonCode.EXPIRED, evidence=(photo(),), refunded_cents=5900))
    assert decision.outcome == Outcome.TO_AGENT
    assert "nothing is left to refund" in decision.rationale_en


def test_recommend_may_reject_where_a_timeout_may_not() -> None:
    case = facts(
        kind=CaseKind.RETURN_REFUND,
        reason=ReasonCode.NO_REASON,
        statements=merchant_says(Claim.WORN, Claim.TAGS_REMOVED),
        evidence=(photo("ev-m", by=Party.MERCHANT),),
    )
    assert recommend(case).outcome == Outcome.REJECT
    assert on_merchant_timeout(case).outcome == Outcome.TO_AGENT


# --- R-URGENT ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "urgent"),
    [
        ({"urgent": True}, True),
        ({"description": "孩子等着玩,能快点吗"}, True),
        ({"description": "Urgent: it is a birthday gift"}, True),
        ({"statements": (Statement(Party.BUYER, "message", "我很着急"),)}, True),
        ({"statements": (Statement(Party.MERCHANT, "message", "别急"),)}, False),  # the merchant's words don't count
        ({"description": "颜色不对"}, False),
        ({}, False),
    ],
)
def test_r_urgent_flag(changes: dict[str, object], urgent: bool) -> None:
    case = facts(kind=CaseKind.EXCHANGE, reason=ReasonCode.MISSING_ITEM, evidence=(photo(),), **changes)
    assert triage(case).urgent is urgent
    decision = on_merchant_timeout(case)
    assert decision.urgent is urgent
    assert ("R-URGENT" in decision.rules) is urgent


def test_r_urgent_offers_the_fastest_fix_first() -> None:
    case = facts(kind=CaseKind.RETURN_REFUND, reason=ReasonCode.MISSING_ITEM, evidence=(photo(),), urgent=True)
    decision = on_merchant_timeout(case)
    assert decision.outcome == Outcome.RESHIP
    assert decision.resolutions == (
        Resolution.SAME_DAY_LOCAL_RESHIP,
        Resolution.EMERGENCY_TRANSFER,
        Resolution.RESHIP_MISSING_WITH_COUPON,
    )


def test_r_urgent_flags_a_case_for_the_agent_queue_too() -> None:
    decision = on_merchant_timeout(facts(reason=ReasonCode.OTHER, urgent=True))
    assert (decision.outcome, decision.urgent) == (Outcome.TO_AGENT, True)
    assert decision.resolutions == ()  # no goods to send: no reship offers


def test_r_urgent_flags_an_immediate_refund() -> None:
    decision = on_open(facts(shipment=ShipmentState.NOT_SHIPPED, urgent=True))
    assert decision is not None and decision.urgent and decision.rules == ("R-SHIPPED-REFUND-ONLY", "R-URGENT")


# --- precedence --------------------------------------------------------------------------------------------------


def test_precedence_is_written_down_in_one_place() -> None:
    doc = rulebook.precedence.__doc__ or ""
    documented = re.findall(r"^\d+\.\s+(R-[A-Z0-9-]+)", doc, flags=re.MULTILINE)
    assert tuple(documented) == PRECEDENCE_IDS
    assert PRECEDENCE_IDS == (
        "R-SHIPPED-REFUND-ONLY",
        "R-NOT-RECEIVED",
        "R-STALL",
        "R-SMALL",
        "R-EXPIRED",
        "R-WASH",
        "R-WORN",
        "R-NOT-AS-DESCRIBED",
        "R-7D",
    )
    assert set(PRECEDENCE_IDS) | {"R-TIMEOUT", "R-URGENT"} == set(RULE_IDS)


WORN_EVIDENCE = {
    "statements": merchant_says(Claim.WORN, Claim.TAGS_REMOVED),
    "evidence": (photo("ev-m", by=Party.MERCHANT),),
}

# Facts where two rules apply, and the one that decides.
CONFLICTS: list[tuple[str, dict[str, object], str, Outcome]] = [
    (
        "parcel-in-transit-before-not-received",
        {"shipment": ShipmentState.IN_TRANSIT, "reason": ReasonCode.NOT_RECEIVED, "delivered_at": None},
        "R-SHIPPED-REFUND-ONLY",
        Outcome.REFUND,
    ),
    ("not-received-after-delivered", {"reason": ReasonCode.NOT_RECEIVED}, "R-NOT-RECEIVED", Outcome.REFUND),
    (
        "expired-before-seven-days",
        {"kind": CaseKind.RETURN_REFUND, "reason": ReasonCode.EXPIRED, "evidence": (photo(),)},
        "R-EXPIRED",
        Outcome.RETURN_REFUND,
    ),
    (
        "wash-before-worn",
        {
            "kind": CaseKind.RETURN_REFUND,
            "reason": ReasonCode.FADED_AFTER_WASH,
            **WORN_EVIDENCE,
            "evidence": (photo(), photo("ev-m", by=Party.MERCHANT)),
        },
        "R-WASH",
        Outcome.RETURN_REFUND,
    ),
    (
        "worn-before-seven-days",
        {"kind": CaseKind.RETURN_REFUND, "reason": ReasonCode.NO_REASON, **WORN_EVIDENCE},
        "R-WORN",
        Outcome.REJECT,
    ),
    (
        "worn-defect-before-not-as-described",
        {
            "kind": CaseKind.RETURN_REFUND,
            "reason": ReasonCode.NOT_AS_DESCRIBED,
            **WORN_EVIDENCE,
            "evidence": (photo(),),
        },
        "R-WORN",
        Outcome.RETURN_REFUND,
    ),
    (
        "not-as-described-before-seven-days",
        {"kind": CaseKind.RETURN_REFUND, "reason": ReasonCode.NOT_AS_DESCRIBED, "evidence": (photo(),)},
        "R-NOT-AS-DESCRIBED",
        Outcome.RETURN_REFUND,
    ),
]


@pytest.mark.parametrize(("changes", "winner", "outcome"), [c[1:] for c in CONFLICTS], ids=[c[0] for c in CONFLICTS])
def test_precedence_when_two_rules_apply(changes: dict[str, object], winner: str, outcome: Outcome) -> None:
    case = facts(**changes)
    applying = [r.id for r in PRECEDENCE if r.check(case) is not None]
    assert len(set(applying)) >= 2, f"only {applying} apply: not a conflict"
    decision = recommend(case)
    assert (decision.rules[0], decision.outcome) == (winner, outcome)
    assert on_merchant_timeout(case).rules[:2] == ("R-TIMEOUT", winner)


def test_the_order_decides_a_conflict() -> None:
    case: CaseFacts = facts(kind=CaseKind.RETURN_REFUND, reason=ReasonCode.NO_REASON, **WORN_EVIDENCE)
    forwards = evaluate(case).decision
    backwards = evaluate(case, tuple(reversed(PRECEDENCE))).decision
    assert isinstance(forwards, Decision) and isinstance(backwards, Decision)
    assert (forwards.rules, backwards.rules) == (("R-WORN",), ("R-7D",))
