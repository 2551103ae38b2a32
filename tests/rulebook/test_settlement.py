"""Money only through the ledger's arithmetic (rulebook.settlement): what may still move for a case and its order, and
the moves that settle a case's money against its standing decision — over every combination of what the case moved
and what the decision became."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rulebook import settlement
from rulebook.enums import Outcome
from rulebook.settlement import Move, Moved

O = Outcome  # noqa: E741 - the tables read better short
REFUNDS = [O.REFUND, O.PARTIAL_REFUND, O.RETURN_REFUND]


@pytest.mark.parametrize(
    ("moved", "outcome", "amount", "moves"),
    [
        # the tester's finding: an unshipped order's 4 000 refunded at once, overridden to a partial refund of 4 000
        (Moved(4000), O.PARTIAL_REFUND, 4000, ()),
        (Moved(4000), O.REFUND, 4000, ()),
        # a 9 900 refund overridden down to 3 000: the difference is reversed, nothing more is asked
        (Moved(9900), O.PARTIAL_REFUND, 3000, (Move("reversal", 6900),)),
        (Moved(9900), O.REFUND, 3000, (Move("reversal", 6900),)),
        # overridden up: only the difference is refunded; a full refund may be capped, a named partial may not
        (Moved(3000), O.REFUND, 9900, (Move("refund", 6900, may_cap=True),)),
        (Moved(3000), O.PARTIAL_REFUND, 5000, (Move("refund", 2000, may_cap=False),)),
        (Moved(0), O.PARTIAL_REFUND, 5000, (Move("refund", 5000, may_cap=False),)),
        (Moved(0), O.REFUND, 9900, (Move("refund", 9900, may_cap=True),)),
        # reject: every refund of the case is reversed; coupons, once issued, stay
        (Moved(9900), O.REJECT, 0, (Move("reversal", 9900),)),
        (Moved(9900, 500), O.REJECT, 0, (Move("reversal", 9900),)),
        (Moved(0, 500), O.REJECT, 0, ()),
        (Moved(0), O.REJECT, 0, ()),
        # coupon: what the case has not issued yet; a refund it holds is reversed (the decision is a coupon instead)
        (Moved(0), O.COUPON, 800, (Move("coupon", 800),)),
        (Moved(0, 500), O.COUPON, 800, (Move("coupon", 300),)),
        (Moved(0, 800), O.COUPON, 800, ()),
        (Moved(0, 1000), O.COUPON, 800, ()),  # a coupon cannot be taken back
        (Moved(4000), O.COUPON, 800, (Move("reversal", 4000), Move("coupon", 800))),
        # a refund decision leaves the coupons issued as they are
        (Moved(4000, 500), O.REFUND, 4000, ()),
        (Moved(0, 500), O.PARTIAL_REFUND, 1000, (Move("refund", 1000, may_cap=False),)),
    ],
)
def test_the_moves_that_settle_a_case_against_its_standing_decision(
    moved: Moved, outcome: Outcome, amount: int, moves: tuple[Move, ...]
) -> None:
    assert settlement.settle(moved, outcome, amount) == moves


@pytest.mark.parametrize(
    ("refunded", "coupons", "outcome", "amount"),
    list(
        itertools.product([0, 3000, 4000, 9900], [0, 500, 20_000], [*REFUNDS, O.COUPON, O.REJECT], [0, 800, 4000, 9900])
    ),
)
def test_every_combination_settles_exactly_to_the_decision(
    refunded: int, coupons: int, outcome: Outcome, amount: int
) -> None:
    """Whatever the case moved and whatever the decision became, the moves bring its net refund to the decision's
    refund amount (0 for reject and coupon) and its coupons up to the coupon's (never down): nothing paid twice."""
    moves = settlement.settle(Moved(refunded, coupons), outcome, amount)
    net = refunded + sum(m.amount_cents if m.kind == "refund" else -m.amount_cents for m in moves if m.kind != "coupon")
    issued = coupons + sum(m.amount_cents for m in moves if m.kind == "coupon")
    assert net == (amount if outcome in REFUNDS else 0)
    assert issued == (max(coupons, amount) if outcome == O.COUPON else coupons)
    assert all(m.amount_cents > 0 for m in moves)
    assert [m.kind for m in moves] == sorted((m.kind for m in moves), key=["reversal", "refund", "coupon"].index)
    assert not ({"refund", "reversal"} <= {m.kind for m in moves})
    for move in moves:
        if move.kind == "refund":
            assert move.may_cap == (outcome == O.REFUND)


@pytest.mark.parametrize("outcome", [O.RESHIP, O.EXCHANGE, O.TO_AGENT])
def test_outcomes_without_money_are_not_settled_here(outcome: Outcome) -> None:
    with pytest.raises(ValueError, match="moves no money"):
        settlement.settle(Moved(), outcome, 0)


@pytest.mark.parametrize(
    ("paid", "order", "case", "coupon_max", "refund_left", "expected"),
    [
        (9900, Moved(), Moved(), 20_000, None, settlement.Room(9900, 9900, 0)),  # the order caps coupons below ¥200
        (50_000, Moved(), Moved(), 20_000, None, settlement.Room(50_000, 20_000, 0)),  # the case's cap
        (9900, Moved(4000), Moved(4000), 20_000, None, settlement.Room(5900, 9900, 4000)),
        (9900, Moved(9900, 500), Moved(4000, 500), 20_000, None, settlement.Room(0, 9400, 4000)),
        (50_000, Moved(0, 30_000), Moved(0, 0), 20_000, None, settlement.Room(50_000, 20_000, 0)),
        (50_000, Moved(0, 45_000), Moved(0, 15_000), 20_000, None, settlement.Room(50_000, 5000, 0)),
        (50_000, Moved(0, 48_000), Moved(0, 0), 20_000, None, settlement.Room(50_000, 2000, 0)),  # the order's cap
        (9900, Moved(12_000, 12_000), Moved(), 20_000, None, settlement.Room(0, 0, 0)),  # never negative
        (9900, Moved(), Moved(), 20_000, 3000, settlement.Room(3000, 9900, 0)),  # the ledger's item-line answer wins
        (9900, Moved(), Moved(), 0, None, settlement.Room(9900, 0, 0)),  # coupons switched off
    ],
)
def test_what_may_still_move_for_a_case_and_its_order(
    paid: int, order: Moved, case: Moved, coupon_max: int, refund_left: int | None, expected: settlement.Room
) -> None:
    assert settlement.room(paid, order, case, coupon_max, refund_left) == expected


@pytest.mark.parametrize(
    ("moved", "room", "outcome", "amount", "refused"),
    [
        (Moved(), settlement.Room(9900, 20_000, 0), O.COUPON, 2_147_483_647, True),  # the tester's coupon
        (Moved(), settlement.Room(9900, 20_000, 0), O.COUPON, 20_000, False),
        (Moved(0, 500), settlement.Room(9900, 19_500, 0), O.COUPON, 20_000, False),
        (Moved(0, 500), settlement.Room(9900, 19_500, 0), O.COUPON, 20_001, True),
        (Moved(4000), settlement.Room(5900, 9900, 4000), O.PARTIAL_REFUND, 9900, False),
        (Moved(4000), settlement.Room(5900, 9900, 4000), O.PARTIAL_REFUND, 9901, True),
        (Moved(4000), settlement.Room(0, 9900, 4000), O.PARTIAL_REFUND, 3000, False),  # a reversal always fits
        (Moved(4000), settlement.Room(0, 9900, 4000), O.REFUND, 99_000, False),  # a full refund is capped instead
        (Moved(4000), settlement.Room(0, 0, 4000), O.REJECT, 0, False),
    ],
)
def test_named_amounts_beyond_what_may_still_move_are_refused_up_front(
    moved: Moved, room: settlement.Room, outcome: Outcome, amount: int, refused: bool
) -> None:
    assert (settlement.over_room(room, moved, outcome, amount) is not None) == refused


@given(
    paid=st.integers(0, 100_000),
    order_coupons=st.integers(0, 100_000),
    case_coupons=st.integers(0, 100_000),
    coupon_max=st.integers(0, 100_000),
)
def test_a_coupon_never_takes_a_case_or_an_order_past_its_cap(
    paid: int, order_coupons: int, case_coupons: int, coupon_max: int
) -> None:
    left = settlement.coupon_left(paid, order_coupons, case_coupons, coupon_max)
    assert left >= 0
    if left:
        assert case_coupons + left <= coupon_max
        assert order_coupons + left <= settlement.order_coupon_cap(paid)


def test_a_cases_own_room_is_the_ledgers_last_answer_and_its_own_coupon_cap() -> None:
    case = Moved(refunded_cents=4000, coupons_cents=500)
    assert settlement.case_room(5900, case, 20_000) == settlement.Room(5900, 19_500, 4000)
    assert settlement.case_room(-1, Moved(0, 25_000), 20_000) == settlement.Room(0, 0, 0)
