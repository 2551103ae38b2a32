"""Allowed transitions as data: which action, by whom, in which status, per case kind."""

import pytest

from rulebook.enums import Action, CaseKind, CaseStatus, Outcome, Party, Role, ShipmentDirection
from rulebook.transitions import (
    AWAITING,
    TABLE,
    TransitionRefused,
    allowed_actions,
    check,
    irreversible,
    role_may,
    status_after,
    supported,
)

A, S, R = Action, CaseStatus, Role
OPEN = [s for s in CaseStatus if not s.is_final]
EXCEPTIONS = [CaseKind.LOGISTICS_STALLED, CaseKind.MISSED_SHIPMENT, CaseKind.OVERSOLD]

# The refund_only rows the workflow and the API depend on, written out once more so a change shows.
REFUND_ONLY_ROWS = {
    (S.AWAITING_MERCHANT, A.APPROVE, frozenset({R.MERCHANT}), S.RESOLVED, False),
    (S.AWAITING_MERCHANT, A.INTERCEPT, frozenset({R.MERCHANT}), None, False),  # the refund follows the parcel back
    (S.AWAITING_MERCHANT, A.REJECT, frozenset({R.MERCHANT}), S.AWAITING_BUYER, False),
    (S.AWAITING_MERCHANT, A.PROPOSE, frozenset({R.MERCHANT}), S.AWAITING_BUYER, False),
    (S.AWAITING_MERCHANT, A.ESCALATE, frozenset({R.MERCHANT}), S.IN_ARBITRATION, False),
    (S.AWAITING_BUYER, A.ACCEPT_PROPOSAL, frozenset({R.BUYER}), S.RESOLVED, True),
    (S.AWAITING_BUYER, A.DECLINE_PROPOSAL, frozenset({R.BUYER}), S.IN_ARBITRATION, True),
    (S.AWAITING_BUYER, A.ESCALATE, frozenset({R.BUYER, R.MERCHANT}), S.IN_ARBITRATION, False),
    # a request for evidence waits on the party asked (rulebook/evidence_requests.py)
    (S.AWAITING_MERCHANT, A.REQUEST_EVIDENCE, frozenset({R.MERCHANT, R.AGENT}), None, False),
    (S.AWAITING_BUYER, A.REQUEST_EVIDENCE, frozenset({R.AGENT}), None, False),
    (S.IN_ARBITRATION, A.REQUEST_EVIDENCE, frozenset({R.AGENT}), None, False),
}


def test_refund_only_rows_are_unchanged() -> None:
    rows = {(t.status, t.action, t.roles, t.to, t.needs_proposal) for t in TABLE[CaseKind.REFUND_ONLY]}
    specific = {r for r in rows if r[1] not in (A.MESSAGE, A.WITHDRAW, A.DECIDE, A.EXTEND)}
    assert specific == REFUND_ONLY_ROWS
    extend = {r for r in rows if r[1] == A.EXTEND}
    assert {r[0] for r in extend} == {S.AWAITING_MERCHANT, S.AWAITING_RECEIPT, S.AWAITING_REPLACEMENT}
    withdraw = {r[0] for r in rows if r[1] == A.WITHDRAW}
    assert withdraw == {S.AWAITING_MERCHANT, S.AWAITING_BUYER, S.IN_ARBITRATION}
    assert len(rows) == len(REFUND_ONLY_ROWS) + 2 * len(OPEN) + len(withdraw) + len(extend)


@pytest.mark.parametrize("kind", list(CaseKind))
def test_every_kind_has_transitions(kind: CaseKind) -> None:
    assert supported(kind)
    assert all(t.status in OPEN for t in TABLE[kind]), "no action on a closed case"


@pytest.mark.parametrize(
    ("kind", "steps", "end"),
    [
        (CaseKind.REFUND_ONLY, [(A.APPROVE, R.MERCHANT)], S.RESOLVED),
        (
            CaseKind.RETURN_REFUND,
            [(A.APPROVE, R.MERCHANT), (A.SHIP_RETURN, R.BUYER)],
            S.RETURN_IN_TRANSIT,
        ),
        (CaseKind.EXCHANGE, [(A.REJECT, R.MERCHANT), (A.ESCALATE, R.BUYER)], S.IN_ARBITRATION),
        (CaseKind.NOT_RECEIVED, [(A.APPROVE, R.MERCHANT)], S.RESOLVED),
        (CaseKind.LOGISTICS_STALLED, [(A.RESOLVE, R.MERCHANT)], S.RESOLVED),
        (CaseKind.OVERSOLD, [(A.ESCALATE, R.BUYER)], S.IN_ARBITRATION),
    ],
)
def test_walks_through_a_lifecycle(kind: CaseKind, steps: list[tuple[Action, Role]], end: CaseStatus) -> None:
    status = S.AWAITING_MERCHANT
    for action, role in steps:
        to = check(kind, status, action, role).to
        assert to is not None
        status = to
    assert status == end


def test_return_refund_receipt_and_exchange_replacement() -> None:
    assert check(CaseKind.RETURN_REFUND, S.AWAITING_RECEIPT, A.CONFIRM_RECEIPT, R.MERCHANT).to is None
    assert A.SHIP_REPLACEMENT in allowed_actions(CaseKind.EXCHANGE, S.AWAITING_REPLACEMENT, R.MERCHANT)
    assert A.SHIP_REPLACEMENT not in allowed_actions(CaseKind.RETURN_REFUND, S.AWAITING_REPLACEMENT, R.MERCHANT)


@pytest.mark.parametrize(
    ("kind", "status", "action", "role", "code"),
    [
        (CaseKind.REFUND_ONLY, S.AWAITING_MERCHANT, A.APPROVE, R.BUYER, "forbidden"),
        (CaseKind.REFUND_ONLY, S.RESOLVED, A.APPROVE, R.MERCHANT, "invalid_state"),
        (CaseKind.REFUND_ONLY, S.AWAITING_BUYER, A.ACCEPT_PROPOSAL, R.BUYER, "invalid_state"),  # no proposal
        (CaseKind.RETURN_REFUND, S.AWAITING_MERCHANT, A.SHIP_RETURN, R.BUYER, "invalid_state"),
        (CaseKind.RETURN_REFUND, S.AWAITING_RETURN_SHIPMENT, A.SHIP_RETURN, R.MERCHANT, "forbidden"),
        (CaseKind.EXCHANGE, S.AWAITING_RECEIPT, A.SHIP_REPLACEMENT, R.MERCHANT, "invalid_state"),
        (CaseKind.LOGISTICS_STALLED, S.AWAITING_MERCHANT, A.APPROVE, R.MERCHANT, "invalid_state"),
        (CaseKind.LOGISTICS_STALLED, S.AWAITING_MERCHANT, A.RESOLVE, R.BUYER, "forbidden"),
        (CaseKind.NOT_RECEIVED, S.WITHDRAWN, A.MESSAGE, R.BUYER, "invalid_state"),
    ],
)
def test_refusals(kind: CaseKind, status: CaseStatus, action: Action, role: Role, code: str) -> None:
    with pytest.raises(TransitionRefused) as refused:
        check(kind, status, action, role)
    assert (refused.value.code, refused.value.status) == (code, status)


def test_proposal_answers_need_a_proposal() -> None:
    assert A.ACCEPT_PROPOSAL not in allowed_actions(CaseKind.RETURN_REFUND, S.AWAITING_BUYER, R.BUYER)
    assert A.ACCEPT_PROPOSAL in allowed_actions(
        CaseKind.RETURN_REFUND, S.AWAITING_BUYER, R.BUYER, proposal_pending=True
    )


@pytest.mark.parametrize("kind", EXCEPTIONS)
def test_system_opened_exceptions_cannot_be_withdrawn(kind: CaseKind) -> None:
    assert A.WITHDRAW not in allowed_actions(kind, S.AWAITING_MERCHANT, R.BUYER)
    merchant = [A.RESOLVE, A.ESCALATE, A.MESSAGE, A.EXTEND, A.REQUEST_EVIDENCE]
    assert allowed_actions(kind, S.AWAITING_MERCHANT, R.MERCHANT) == merchant


@pytest.mark.parametrize(
    "kind", [CaseKind.REFUND_ONLY, CaseKind.RETURN_REFUND, CaseKind.EXCHANGE, CaseKind.NOT_RECEIVED]
)
@pytest.mark.parametrize("status", OPEN)
def test_an_agent_may_decide_an_open_request(kind: CaseKind, status: CaseStatus) -> None:
    assert check(kind, status, A.DECIDE, R.AGENT).to is None


WITHDRAWABLE = [S.AWAITING_MERCHANT, S.AWAITING_BUYER, S.IN_ARBITRATION]


@pytest.mark.parametrize("kind", [CaseKind.REFUND_ONLY, CaseKind.NOT_RECEIVED])
@pytest.mark.parametrize("status", OPEN)
def test_a_buyer_may_withdraw_only_while_nothing_irreversible_happened(kind: CaseKind, status: CaseStatus) -> None:
    """Not with a reshipped or intercepted parcel on its way, nor once money moved (product.md §5)."""
    if status in WITHDRAWABLE:
        assert check(kind, status, A.WITHDRAW, R.BUYER).to == S.WITHDRAWN
    else:
        with pytest.raises(TransitionRefused):
            check(kind, status, A.WITHDRAW, R.BUYER)
    with pytest.raises(TransitionRefused) as refused:
        check(kind, status, A.WITHDRAW, R.BUYER, irreversible=True)
    assert refused.value.code == "invalid_state"


BEFORE_SHIPPING = [S.AWAITING_MERCHANT, S.AWAITING_BUYER, S.AWAITING_RETURN_SHIPMENT, S.IN_ARBITRATION]


@pytest.mark.parametrize("kind", [CaseKind.RETURN_REFUND, CaseKind.EXCHANGE])
@pytest.mark.parametrize("status", OPEN)
def test_a_return_may_be_withdrawn_only_until_the_goods_are_sent_back(kind: CaseKind, status: CaseStatus) -> None:
    if status in BEFORE_SHIPPING:
        assert check(kind, status, A.WITHDRAW, R.BUYER).to == S.WITHDRAWN
    else:
        with pytest.raises(TransitionRefused):
            check(kind, status, A.WITHDRAW, R.BUYER)
    with pytest.raises(TransitionRefused) as refused:
        check(kind, status, A.WITHDRAW, R.BUYER, irreversible=True)
    assert refused.value.code == "invalid_state"
    assert A.WITHDRAW not in allowed_actions(kind, status, R.BUYER, irreversible=True)


def test_an_exchange_ships_the_replacement_or_offers_money_when_out_of_stock() -> None:
    kind = CaseKind.EXCHANGE
    assert check(kind, S.AWAITING_REPLACEMENT, A.SHIP_REPLACEMENT, R.MERCHANT).to == S.REPLACEMENT_IN_TRANSIT
    assert check(kind, S.AWAITING_REPLACEMENT, A.PROPOSE, R.MERCHANT).to == S.AWAITING_BUYER
    assert check(kind, S.REPLACEMENT_IN_TRANSIT, A.ESCALATE, R.BUYER).to == S.IN_ARBITRATION


def test_every_status_says_who_it_waits_on() -> None:
    assert set(AWAITING) == set(CaseStatus)
    assert AWAITING[S.IN_ARBITRATION] == Party.AGENT
    assert all(AWAITING[s] is None for s in CaseStatus if s.is_final)


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (Outcome.REJECT, S.REJECTED),
        (Outcome.TO_AGENT, S.IN_ARBITRATION),
        (Outcome.REFUND, S.RESOLVED),
        (Outcome.COUPON, S.RESOLVED),
    ],
)
def test_status_after_a_decision(outcome: Outcome, status: CaseStatus) -> None:
    assert status_after(outcome) == status


@pytest.mark.parametrize(
    ("action", "role", "may"),
    [
        (Action.APPROVE, Role.MERCHANT, True),
        (Action.APPROVE, Role.BUYER, False),
        (Action.APPROVE, Role.AGENT, False),
        (Action.DECIDE, Role.AGENT, True),
        (Action.DECIDE, Role.MERCHANT, False),
        (Action.ESCALATE, Role.BUYER, True),
        (Action.WITHDRAW, Role.MERCHANT, False),
        (Action.MESSAGE, Role.SYSTEM, False),
    ],
)
def test_role_may_says_who_can_ever_take_an_action_on_a_refund_only_case(action: Action, role: Role, may: bool) -> None:
    assert role_may(CaseKind.REFUND_ONLY, action, role) is may


@pytest.mark.parametrize(
    ("refunded", "couponed", "sent_back", "parcels", "expected"),
    [
        (0, 0, False, [], False),
        (0, 0, False, [ShipmentDirection.RETURN], False),  # a return parcel not yet sent is the buyer's to call off
        (100, 0, False, [], True),
        (0, 500, False, [], True),
        (0, 0, True, [ShipmentDirection.RETURN], True),
        (0, 0, False, [ShipmentDirection.REPLACEMENT], True),  # reshipped or the replacement sent
        (0, 0, False, [ShipmentDirection.OUTBOUND], True),  # the order's parcel intercepted
    ],
)
def test_what_a_withdrawal_cannot_undo(
    refunded: int, couponed: int, sent_back: bool, parcels: list[ShipmentDirection], expected: bool
) -> None:
    assert irreversible(refunded, couponed, sent_back, parcels) is expected
