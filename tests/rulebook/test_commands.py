"""The parties' commands become decisions the rule book caps and names."""

import pytest

from rulebook import commands
from rulebook.enums import CaseKind, CaseStatus, Outcome


@pytest.mark.parametrize(
    ("asked", "paid", "refunded", "left"),
    [(9900, 9900, 0, 9900), (9900, 9900, 4000, 5900), (3000, 9900, 0, 3000), (9900, 9900, 9900, 0), (100, 50, 80, 0)],
)
def test_what_a_case_may_still_refund(asked: int, paid: int, refunded: int, left: int) -> None:
    assert commands.refundable(asked, paid, refunded) == left


def test_a_merchant_approval_refunds_what_was_asked_within_what_is_left() -> None:
    assert commands.merchant_approval(9900, 9900).amount_cents == 9900
    approval = commands.merchant_approval(9900, 5000)
    assert (approval.outcome, approval.amount_cents, approval.rules) == (Outcome.REFUND, 5000, ())


@pytest.mark.parametrize(
    ("outcome", "amount", "expected"),
    [
        (Outcome.PARTIAL_REFUND, 2000, 2000),
        (Outcome.PARTIAL_REFUND, 99999, 9900),
        (Outcome.REFUND, None, 9900),
        (Outcome.COUPON, 500, 500),
        (Outcome.RESHIP, 500, 0),
        (Outcome.REJECT, 500, 0),
    ],
)
def test_an_agent_ruling_is_capped_and_names_itself(outcome: Outcome, amount: int | None, expected: int) -> None:
    ruling = commands.agent_ruling(outcome, amount, "照片显示破损", refundable_cents=9900)
    assert (ruling.outcome, ruling.amount_cents, ruling.rules) == (outcome, expected, (commands.AGENT_RULE,))
    assert ruling.rationale_zh == "照片显示破损"


def test_an_accepted_proposal_moves_the_proposed_amount_and_never_more_than_is_left() -> None:
    assert commands.accepted_proposal(Outcome.PARTIAL_REFUND, 2000, 9900).amount_cents == 2000
    assert commands.accepted_proposal(Outcome.PARTIAL_REFUND, 20000, 9900).amount_cents == 9900


def test_a_buyer_who_lets_t_buyer_reply_run_out() -> None:
    assert commands.after_buyer_silence(proposal_pending=True) == CaseStatus.IN_ARBITRATION
    assert commands.after_buyer_silence(proposal_pending=False) == CaseStatus.REJECTED


@pytest.mark.parametrize(
    ("kind", "outcome", "allowed"),
    [
        (CaseKind.REFUND_ONLY, Outcome.PARTIAL_REFUND, True),
        (CaseKind.REFUND_ONLY, Outcome.COUPON, True),
        (CaseKind.REFUND_ONLY, Outcome.REJECT, True),
        (CaseKind.REFUND_ONLY, Outcome.EXCHANGE, False),
        (CaseKind.REFUND_ONLY, Outcome.RESHIP, True),  # through fulfilment (workflows/reshipment.py)
        (CaseKind.RETURN_REFUND, Outcome.RETURN_REFUND, True),
        (CaseKind.EXCHANGE, Outcome.EXCHANGE, True),
        (CaseKind.EXCHANGE, Outcome.RESHIP, True),
        (CaseKind.NOT_RECEIVED, Outcome.RESHIP, True),
    ],
)
def test_only_outcomes_the_service_can_carry_out_may_be_chosen(kind: CaseKind, outcome: Outcome, allowed: bool) -> None:
    assert commands.carried_out(kind, outcome) is allowed
