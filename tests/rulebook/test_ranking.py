"""The resolution menu of product.md §7, ranked by past success with the sample size."""

import pytest

from rulebook.enums import CaseKind, ExceptionKind, Resolution
from rulebook.ranking import MENU, RankedResolution, exception_kind, menu, rank

X, Res = ExceptionKind, Resolution


def order(ranked: list[RankedResolution]) -> list[Resolution]:
    return [r.resolution for r in ranked]


def test_every_exception_has_its_menu_of_section_7() -> None:
    assert set(MENU) == set(ExceptionKind)
    assert MENU[X.LOGISTICS_SLOW][0] == Res.URGE_COURIER_COUPON
    assert MENU[X.WRONG_ITEM] == (Res.RESHIP_PAY_SHIPPING,)
    assert MENU[X.OUT_OF_STOCK] == (Res.RECOMMEND_SIMILAR_REFUND_DIFFERENCE, Res.EMERGENCY_TRANSFER)
    assert MENU[X.PERISHABLE_ROUTE_DISRUPTED] == (Res.FASTER_TRANSPORT,)
    assert MENU[X.MISSED_ITEM] == (Res.RESHIP_MISSING_WITH_COUPON,)


def test_empty_history_keeps_the_menu_order_with_no_rate() -> None:
    ranked = rank(X.OUT_OF_STOCK, {})
    assert ranked == [
        RankedResolution(Res.RECOMMEND_SIMILAR_REFUND_DIFFERENCE, None, 0),
        RankedResolution(Res.EMERGENCY_TRANSFER, None, 0),
    ]


def test_higher_success_rate_first_with_its_sample_size() -> None:
    history = {
        (X.OUT_OF_STOCK, Res.RECOMMEND_SIMILAR_REFUND_DIFFERENCE): (6, 10),
        (X.OUT_OF_STOCK, Res.EMERGENCY_TRANSFER): (9, 10),
    }
    ranked = rank(X.OUT_OF_STOCK, history)
    assert ranked == [
        RankedResolution(Res.EMERGENCY_TRANSFER, 0.9, 10),
        RankedResolution(Res.RECOMMEND_SIMILAR_REFUND_DIFFERENCE, 0.6, 10),
    ]


@pytest.mark.parametrize(
    ("similar", "transfer", "first"),
    [
        ((8, 10), (80, 100), Res.EMERGENCY_TRANSFER),  # equal rate: the larger sample first
        ((80, 100), (8, 10), Res.RECOMMEND_SIMILAR_REFUND_DIFFERENCE),
        ((3, 4), (3, 4), Res.RECOMMEND_SIMILAR_REFUND_DIFFERENCE),  # full tie: menu order
        ((2, 6), (1, 3), Res.RECOMMEND_SIMILAR_REFUND_DIFFERENCE),  # 2/6 == 1/3 exactly: the larger sample first
        ((1, 3), (2, 6), Res.EMERGENCY_TRANSFER),
        ((1, 1), (99, 100), Res.RECOMMEND_SIMILAR_REFUND_DIFFERENCE),  # the rate ranks; the sample size is shown
        ((0, 5), (0, 0), Res.RECOMMEND_SIMILAR_REFUND_DIFFERENCE),  # tried and failed still ranks before untried
    ],
)
def test_ties(similar: tuple[int, int], transfer: tuple[int, int], first: Resolution) -> None:
    history = {
        (X.OUT_OF_STOCK, Res.RECOMMEND_SIMILAR_REFUND_DIFFERENCE): similar,
        (X.OUT_OF_STOCK, Res.EMERGENCY_TRANSFER): transfer,
    }
    assert order(rank(X.OUT_OF_STOCK, history))[0] == first


def test_untried_options_come_after_tried_ones() -> None:
    history = {(X.OUT_OF_STOCK, Res.EMERGENCY_TRANSFER): (0, 4)}
    ranked = rank(X.OUT_OF_STOCK, history)
    assert ranked == [
        RankedResolution(Res.EMERGENCY_TRANSFER, 0.0, 4),
        RankedResolution(Res.RECOMMEND_SIMILAR_REFUND_DIFFERENCE, None, 0),
    ]


def test_history_of_another_kind_does_not_count() -> None:
    history = {(X.MISSED_ITEM, Res.EMERGENCY_TRANSFER): (10, 10)}
    assert order(rank(X.OUT_OF_STOCK, history)) == list(MENU[X.OUT_OF_STOCK])


def test_r_urgent_puts_the_fast_fixes_first() -> None:
    history = {
        (X.MISSED_ITEM, Res.RESHIP_MISSING_WITH_COUPON): (95, 100),
        (X.MISSED_ITEM, Res.EMERGENCY_TRANSFER): (5, 10),
    }
    assert order(rank(X.MISSED_ITEM, history)) == [Res.RESHIP_MISSING_WITH_COUPON]
    assert order(rank(X.MISSED_ITEM, history, urgent=True)) == [
        Res.EMERGENCY_TRANSFER,
        Res.SAME_DAY_LOCAL_RESHIP,
        Res.RESHIP_MISSING_WITH_COUPON,
    ]
    assert menu(X.OUT_OF_STOCK, urgent=True) == MENU[X.OUT_OF_STOCK]  # nothing added twice


@pytest.mark.parametrize("record", [(3, 2), (-1, 2), (1, -1)])
def test_impossible_history_is_refused(record: tuple[int, int]) -> None:
    with pytest.raises(ValueError):
        rank(X.WRONG_ITEM, {(X.WRONG_ITEM, Res.RESHIP_PAY_SHIPPING): record})


@pytest.mark.parametrize(
    ("kind", "perishable", "expected"),
    [
        (CaseKind.LOGISTICS_STALLED, False, X.LOGISTICS_SLOW),
        (CaseKind.LOGISTICS_STALLED, True, X.PERISHABLE_ROUTE_DISRUPTED),
        (CaseKind.MISSED_SHIPMENT, False, X.MISSED_ITEM),
        (CaseKind.OVERSOLD, False, X.OUT_OF_STOCK),
        (CaseKind.REFUND_ONLY, False, None),
    ],
)
def test_the_menu_of_a_case(kind: CaseKind, perishable: bool, expected: ExceptionKind | None) -> None:
    assert exception_kind(kind, perishable) == expected


def test_a_resolution_succeeded_only_when_its_case_resolved_without_escalation() -> None:
    from rulebook.enums import CaseStatus
    from rulebook.ranking import succeeded

    assert succeeded(CaseStatus.RESOLVED, escalated=False) is True
    assert succeeded(CaseStatus.RESOLVED, escalated=True) is False
    assert succeeded(CaseStatus.WITHDRAWN, escalated=False) is False
