"""Overselling warehouse by warehouse: the nearest warehouse (one rule), which orders each warehouse covers, which
are locked and unlocked, and where an emergency transfer would come from."""

import pytest

from rulebook.oversell import (
    Demand,
    Place,
    Warehouse,
    allocate,
    home_warehouse,
    lock_changes,
    nearest_first,
    nearest_holding,
    transfer_from,
)

SHANGHAI = Place("上海", "上海", 31.23, 121.47)
SHANGHAI_NO_COORDINATES = Place("上海", "上海")
HANGZHOU_ADDRESS = Place("浙江", "杭州")


def w(warehouse_id: str, available: int, place: Place) -> Warehouse:
    return Warehouse(warehouse_id, available, place)


W_SH = w("w-sh", 0, Place("上海", "上海"))
W_HZ = w("w-hz", 5, Place("浙江", "杭州"))


@pytest.mark.parametrize(
    ("destination", "warehouses", "nearest", "basis"),
    [
        # both sides located: by distance, even past a same-city warehouse without coordinates
        (
            SHANGHAI,
            [w("w-bj", 9, Place("北京", "北京", 39.9, 116.4)), w("w-sz", 0, Place("江苏", "苏州", 31.3, 120.62))],
            "w-sz",
            "distance",
        ),
        (
            SHANGHAI,
            [w("w-sh", 0, Place("上海", "上海")), w("w-sz", 0, Place("江苏", "苏州", 31.3, 120.62))],
            "w-sz",
            "distance",
        ),
        # no coordinates on the address: the same city, then the same province, then any (ties: the given order)
        (
            HANGZHOU_ADDRESS,
            [w("w-nb", 5, Place("浙江", "宁波")), w("w-hz", 0, Place("浙江", "杭州", 30.27, 120.15))],
            "w-hz",
            "city",
        ),
        (
            HANGZHOU_ADDRESS,
            [w("w-sh", 9, Place("上海", "上海")), w("w-nb", 0, Place("浙江", "宁波"))],
            "w-nb",
            "province",
        ),
        (
            HANGZHOU_ADDRESS,
            [w("w-sh", 0, Place("上海", "上海")), w("w-bj", 9, Place("北京", "北京"))],
            "w-sh",
            "elsewhere",
        ),
    ],
)
def test_the_nearest_warehouse_whatever_it_holds(
    destination: Place, warehouses: list[Warehouse], nearest: str, basis: str
) -> None:
    found = home_warehouse(destination, warehouses)
    assert found is not None and (found.warehouse.warehouse_id, found.basis) == (nearest, basis)


def test_nearest_first_ranks_every_warehouse_and_keeps_the_given_order_for_ties() -> None:
    listed = [w("w-b", 0, Place()), w("w-a", 0, Place()), w("w-sh", 0, Place("上海", "上海"))]
    assert [n.warehouse.warehouse_id for n in nearest_first(SHANGHAI_NO_COORDINATES, listed)] == ["w-sh", "w-b", "w-a"]
    assert home_warehouse(SHANGHAI, []) is None


@pytest.mark.parametrize(
    ("needs", "stock", "covered"),
    [
        ((1, 2, 1), 4, {"o-1", "o-2", "o-3"}),
        ((1, 2, 1), 3, {"o-1", "o-2"}),
        ((1, 2, 1), 1, {"o-1"}),
        ((1, 2, 1), 0, set()),
        ((3, 1), 2, set()),  # the oldest goes past the stock: nothing newer jumps the line
    ],
)
def test_a_warehouse_covers_its_orders_oldest_first(needs: tuple[int, ...], stock: int, covered: set[str]) -> None:
    demands = [Demand(f"o-{i}", need, SHANGHAI_NO_COORDINATES) for i, need in enumerate(needs, start=1)]
    allocation = allocate(demands, [w("w-sh", stock, Place("上海", "上海"))])
    assert allocation.covered == covered


def test_an_empty_nearest_warehouse_oversells_even_while_another_has_stock() -> None:
    """The seed: Hangzhou's warehouse is empty, Shanghai's has 5 — the Hangzhou order is oversold."""
    hangzhou_order = Demand("o-hz", 1, HANGZHOU_ADDRESS)
    shanghai_order = Demand("o-sh", 2, SHANGHAI_NO_COORDINATES)
    warehouses = [w("w-hz", 0, Place("浙江", "杭州")), w("w-sh", 5, Place("上海", "上海"))]
    allocation = allocate([hangzhou_order, shanghai_order], warehouses)
    assert allocation.home == {"o-hz": "w-hz", "o-sh": "w-sh"}
    assert allocation.covered == {"o-sh"} and allocation.spare == {"w-hz": 0, "w-sh": 3}
    assert lock_changes([hangzhou_order, shanghai_order], warehouses).lock == ("o-hz",)
    option = transfer_from(hangzhou_order, [hangzhou_order, shanghai_order], warehouses)
    assert option is not None and (option.warehouse_id, option.available, option.basis) == ("w-sh", 3, "elsewhere")


@pytest.mark.parametrize(
    ("demands", "stock", "lock", "relock", "unlock"),
    [
        # new orders past the stock are locked, each once
        ([Demand("o-1", 1), Demand("o-2", 1), Demand("o-3", 1)], 1, ("o-2", "o-3"), (), ()),
        # a restock covers locked orders oldest first
        (
            [Demand("o-1", 1), Demand("o-2", 1, locked=True, case="open"), Demand("o-3", 1, locked=True, case="open")],
            2,
            (),
            (),
            ("o-2",),
        ),
        (
            [Demand("o-2", 1, locked=True, case="open"), Demand("o-3", 1, locked=True, case="open")],
            5,
            (),
            (),
            ("o-2", "o-3"),
        ),
        # short again while its case is open: locked again, no second case; closed: it keeps its place, unlocked
        ([Demand("o-1", 1, case="open"), Demand("o-2", 1, case="closed")], 0, (), ("o-1",), ()),
        # locked and still short: nothing changes
        ([Demand("o-1", 2, locked=True, case="open")], 1, (), (), ()),
    ],
)
def test_what_a_check_locks_and_unlocks(
    demands: list[Demand], stock: int, lock: tuple[str, ...], relock: tuple[str, ...], unlock: tuple[str, ...]
) -> None:
    placed = [Demand(d.order_id, d.quantity, SHANGHAI_NO_COORDINATES, d.locked, d.case) for d in demands]
    changes = lock_changes(placed, [w("w-sh", stock, Place("上海", "上海"))])
    assert (changes.lock, changes.relock, changes.unlock) == (lock, relock, unlock)


def test_a_transfer_comes_from_the_nearest_spare_never_from_stock_other_orders_hold() -> None:
    order = Demand("o-new", 2, SHANGHAI)
    suzhou_waiting = Demand("o-suzhou", 3, Place("江苏", "苏州", 31.3, 120.62))
    warehouses = [
        w("w-sh", 0, Place("上海", "上海", 31.2, 121.5)),
        w("w-sz", 4, Place("江苏", "苏州", 31.3, 120.62)),  # nearest, but holds 4 for its own 3: spare 1
        w("w-bj", 9, Place("北京", "北京", 39.9, 116.4)),
    ]
    option = transfer_from(order, [suzhou_waiting, order], warehouses)
    assert option is not None and (option.warehouse_id, option.basis) == ("w-bj", "distance")
    alone = transfer_from(order, [order], warehouses)
    assert alone is not None and alone.warehouse_id == "w-sz"
    assert alone.distance_km is not None and 70 < alone.distance_km < 110
    assert transfer_from(Demand("o-big", 50, SHANGHAI), [], warehouses) is None


def test_nearest_holding_skips_what_holds_too_little() -> None:
    option = nearest_holding(HANGZHOU_ADDRESS, [W_SH, W_HZ, w("w-nb", 9, Place("浙江", "宁波"))], 6)
    assert option is not None and (option.warehouse_id, option.basis) == ("w-nb", "province")
