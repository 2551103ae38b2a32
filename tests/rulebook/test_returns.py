"""Where each step of a return or an exchange leads (rulebook.returns), as tables."""

import pytest

from rulebook.enums import CaseKind, CaseStatus, Outcome, ShipmentDirection, TrackingStatus
from rulebook.returns import (
    Stage,
    Step,
    after_grant,
    after_silence,
    approval,
    on_receipt,
    on_tracking,
    refund_cents,
    stage_after_tracking,
)
from rulebook.timers import TimerId

S, K, O = CaseStatus, CaseKind, Outcome  # noqa: E741
RETURN, REPLACEMENT = ShipmentDirection.RETURN, ShipmentDirection.REPLACEMENT


@pytest.mark.parametrize(
    ("kind", "outcome", "amount"),
    [(K.RETURN_REFUND, O.RETURN_REFUND, 5000), (K.EXCHANGE, O.EXCHANGE, 0), (K.REFUND_ONLY, O.REFUND, 5000)],
)
def test_a_merchant_approval_grants_what_the_kind_asks(kind: CaseKind, outcome: Outcome, amount: int) -> None:
    decision = approval(kind, asked_cents=9900, refundable_cents=5000)
    assert (decision.outcome, decision.amount_cents) == (outcome, amount)


@pytest.mark.parametrize(
    ("kind", "outcome", "stage", "step"),
    [
        (K.RETURN_REFUND, O.RETURN_REFUND, Stage.AWAITED, Step(S.AWAITING_RETURN_SHIPMENT)),
        (K.EXCHANGE, O.EXCHANGE, Stage.AWAITED, Step(S.AWAITING_RETURN_SHIPMENT)),
        (K.EXCHANGE, O.EXCHANGE, Stage.SENT, Step(S.RETURN_IN_TRANSIT)),
        (K.RETURN_REFUND, O.RETURN_REFUND, Stage.DELIVERED, Step(S.AWAITING_RECEIPT)),
        (K.EXCHANGE, O.EXCHANGE, Stage.RECEIVED, Step(S.AWAITING_REPLACEMENT)),
        (K.RETURN_REFUND, O.RETURN_REFUND, Stage.RECEIVED, Step(S.RESOLVED, refund=True)),
        (K.RETURN_REFUND, O.PARTIAL_REFUND, Stage.AWAITED, None),  # money without the goods: at once
        (K.RETURN_REFUND, O.EXCHANGE, Stage.AWAITED, None),
        (K.REFUND_ONLY, O.RETURN_REFUND, Stage.AWAITED, None),  # refund_only never waits for goods
    ],
)
def test_a_grant_waits_for_the_goods_where_they_are(
    kind: CaseKind, outcome: Outcome, stage: Stage, step: Step | None
) -> None:
    assert after_grant(kind, outcome, stage) == step


def test_the_waits_of_the_journey() -> None:
    assert Step(S.AWAITING_RETURN_SHIPMENT).timer == TimerId.T_BUYER_SHIP
    assert Step(S.RETURN_IN_TRANSIT).timer == TimerId.T_STALL
    assert Step(S.AWAITING_RECEIPT).timer == TimerId.T_RECEIPT
    assert Step(S.AWAITING_REPLACEMENT).timer == TimerId.T_MERCHANT
    assert Step(S.RESOLVED).timer is None


@pytest.mark.parametrize(
    ("outcome", "ok", "step"),
    [
        (O.RETURN_REFUND, True, Step(S.RESOLVED, refund=True)),
        (O.EXCHANGE, True, Step(S.AWAITING_REPLACEMENT)),
        (O.RETURN_REFUND, False, Step(S.IN_ARBITRATION)),
        (O.EXCHANGE, False, Step(S.IN_ARBITRATION)),
    ],
)
def test_receipt(outcome: Outcome, ok: bool, step: Step) -> None:
    assert on_receipt(outcome, ok) == step


@pytest.mark.parametrize(
    ("direction", "tracking", "status", "step"),
    [
        (RETURN, TrackingStatus.PICKED_UP, S.RETURN_IN_TRANSIT, Step(S.RETURN_IN_TRANSIT)),
        (RETURN, TrackingStatus.DELIVERED, S.RETURN_IN_TRANSIT, Step(S.AWAITING_RECEIPT)),
        (RETURN, TrackingStatus.IN_TRANSIT, S.AWAITING_RECEIPT, None),  # late: recorded only
        (REPLACEMENT, TrackingStatus.DELIVERED, S.REPLACEMENT_IN_TRANSIT, Step(S.RESOLVED)),
        (REPLACEMENT, TrackingStatus.EXCEPTION, S.REPLACEMENT_IN_TRANSIT, Step(S.REPLACEMENT_IN_TRANSIT)),
        (REPLACEMENT, TrackingStatus.DELIVERED, S.IN_ARBITRATION, None),
    ],
)
def test_tracking(
    direction: ShipmentDirection, tracking: TrackingStatus, status: CaseStatus, step: Step | None
) -> None:
    assert on_tracking(direction, tracking, status) == step


def test_a_return_delivered_counts_as_delivered_once_sent() -> None:
    assert stage_after_tracking(Stage.SENT, RETURN, TrackingStatus.DELIVERED) == Stage.DELIVERED
    assert stage_after_tracking(Stage.SENT, RETURN, TrackingStatus.IN_TRANSIT) == Stage.SENT
    assert stage_after_tracking(Stage.RECEIVED, REPLACEMENT, TrackingStatus.DELIVERED) == Stage.RECEIVED


@pytest.mark.parametrize(
    ("status", "outcome", "step"),
    [
        (S.AWAITING_RETURN_SHIPMENT, O.RETURN_REFUND, Step(S.WITHDRAWN)),
        (S.AWAITING_RECEIPT, O.RETURN_REFUND, Step(S.RESOLVED, refund=True)),  # confirmed for the merchant
        (S.AWAITING_RECEIPT, O.EXCHANGE, Step(S.AWAITING_REPLACEMENT)),
        (S.RETURN_IN_TRANSIT, O.RETURN_REFUND, Step(S.IN_ARBITRATION)),
        (S.AWAITING_REPLACEMENT, O.EXCHANGE, Step(S.IN_ARBITRATION)),
    ],
)
def test_silence(status: CaseStatus, outcome: Outcome, step: Step) -> None:
    assert after_silence(status, outcome) == step


def test_the_receipt_refunds_what_was_granted_and_no_more_than_is_left() -> None:
    assert refund_cents(9900, 9900) == 9900
    assert refund_cents(9900, 4000) == 4000
    assert refund_cents(9900, 0) == 0
