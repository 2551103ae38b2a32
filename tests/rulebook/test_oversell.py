"""Which orders an oversold SKU locks, and which warehouse an emergency transfer would come from."""

from rulebook.oversell import Demand, Place, Warehouse, nearest_with_stock, orders_to_lock

SHANGHAI = Place("上海", "上海", 31.23, 121.47)


def test_the_newest_orders_past_the_stock_are_locked() -> None:
    oldest_first = [Demand("o-1", 1), Demand("o-2", 2), Demand("o-3", 1)]
    assert orders_to_lock(oldest_first, 4) == ()
    assert orders_to_lock(oldest_first, 3) == ("o-3",)
    assert orders_to_lock(oldest_first, 1) == ("o-3", "o-2")
    assert orders_to_lock(oldest_first, 0) == ("o-3", "o-2", "o-1")


def test_by_distance_when_both_sides_have_coordinates() -> None:
    warehouses = [
        Warehouse("w-beijing", 9, Place("北京", "北京", 39.90, 116.40)),
        Warehouse("w-suzhou", 2, Place("江苏", "苏州", 31.30, 120.62)),
        Warehouse("w-empty", 0, Place("上海", "上海", 31.20, 121.40)),  # nearest, but holds nothing
    ]
    option = nearest_with_stock(SHANGHAI, warehouses, 1)
    assert option is not None and (option.warehouse_id, option.basis) == ("w-suzhou", "distance")
    assert option.distance_km is not None and 70 < option.distance_km < 110
    bigger = nearest_with_stock(SHANGHAI, warehouses, 3)
    assert bigger is not None and bigger.warehouse_id == "w-beijing"  # Suzhou holds 2, not 3


def test_same_city_then_same_province_without_coordinates() -> None:
    hangzhou = Place("浙江", "杭州")
    warehouses = [
        Warehouse("w-ningbo", 5, Place("浙江", "宁波")),
        Warehouse("w-hangzhou", 1, Place("浙江", "杭州", 30.27, 120.15)),  # the address has no coordinates
        Warehouse("w-shanghai", 9, Place("上海", "上海")),
    ]
    by_city = nearest_with_stock(hangzhou, warehouses, 1)
    assert by_city is not None and (by_city.warehouse_id, by_city.basis) == ("w-hangzhou", "city")
    by_province = nearest_with_stock(hangzhou, warehouses, 2)
    assert by_province is not None and (by_province.warehouse_id, by_province.basis) == ("w-ningbo", "province")
    assert nearest_with_stock(hangzhou, warehouses, 10) is None
