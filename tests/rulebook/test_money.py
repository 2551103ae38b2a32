"""One ledger per order (rulebook.money): what a refund may still take, per order and per named item line."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rulebook import money
from rulebook.money import Committed, NamedItem, OrderLine

TEE = OrderLine("tee", 3000, 1)
SOCKS = OrderLine("socks", 1000, 4)
LINES = [TEE, SOCKS]  # 7 000 paid


@pytest.mark.parametrize(
    ("committed", "items", "left"),
    [
        ([], [], 7000),
        ([Committed(5000)], [], 2000),
        ([Committed(7000)], [], 0),
        ([Committed(9000)], [], 0),  # never negative, whatever the rows say
        ([], [NamedItem("socks", 2)], 2000),
        ([Committed(1000, {"socks": 1000})], [NamedItem("socks", 4)], 3000),
        ([Committed(4000, {"socks": 4000})], [NamedItem("socks", 1)], 0),  # the line is spent
        ([Committed(6500)], [NamedItem("tee", 1)], 500),  # the order caps the line
        ([], [NamedItem("tee", 1), NamedItem("socks", 1)], 4000),
        ([], [NamedItem("socks", 9)], 4000),  # never more than the order's line
        ([], [NamedItem("unknown", 1)], 0),
    ],
)
def test_what_is_left_counts_every_case_of_the_order_and_each_named_line(
    committed: list[Committed], items: list[NamedItem], left: int
) -> None:
    assert money.allowance(7000, LINES, committed, items).left_cents == left


def test_a_full_refund_is_capped_to_what_is_left_and_a_named_partial_one_is_refused() -> None:
    allowed = money.allowance(7000, LINES, [Committed(5000)])
    capped = money.grant(7000, allowed, may_cap=True)
    refused = money.grant(3000, allowed, may_cap=False)
    fits = money.grant(2000, allowed, may_cap=False)
    assert (capped.outcome, capped.amount_cents) == ("capped", 2000)
    assert (refused.outcome, refused.amount_cents) == ("refused", 0)
    assert (fits.outcome, fits.amount_cents) == ("granted", 2000)


def test_a_refund_of_named_items_is_spread_over_their_lines_in_the_order_named() -> None:
    allowed = money.allowance(7000, LINES, [Committed(500, {"tee": 500})], [NamedItem("tee", 1), NamedItem("socks", 2)])
    granted = money.grant(4000, allowed, may_cap=True)
    assert granted.lines == {"tee": 2500, "socks": 1500}


def test_named_cents_is_unit_price_times_the_quantity_named() -> None:
    assert money.named_cents(LINES, [NamedItem("socks", 3), NamedItem("tee", 1)]) == 6000


moves = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=9000),
        st.booleans(),
        st.lists(st.tuples(st.sampled_from(["tee", "socks"]), st.integers(1, 5)), max_size=2),
    ),
    max_size=12,
)


@given(moves)
def test_whatever_is_granted_in_turn_never_exceeds_the_order_nor_a_line(plan: list) -> None:  # type: ignore[type-arg]
    committed: list[Committed] = []
    for asked, may_cap, named in plan:
        items = [NamedItem(sku, quantity) for sku, quantity in named]
        granted = money.grant(asked, money.allowance(7000, LINES, committed, items), may_cap)
        assert 0 <= granted.amount_cents <= asked
        assert sum(granted.lines.values()) == (granted.amount_cents if items else 0)
        committed.append(Committed(granted.amount_cents, granted.lines))
    assert sum(c.amount_cents for c in committed) <= 7000
    for line in LINES:
        assert sum(c.lines.get(line.sku, 0) for c in committed) <= line.paid_cents
