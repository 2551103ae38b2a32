"""Overselling (product.md §2 `oversold`, §7 out of stock): which orders of a SKU are locked, and from which
warehouse an emergency transfer would come.

- When the confirmed, unshipped orders of a SKU need more than its stock, the newest of them are locked (not shipped,
  not cancelled) until what is left fits the stock; each locked order gets an `oversold` case.
- The merchant is offered the nearest warehouse that has the order's quantity in stock: by distance when both the
  warehouse and the delivery address have coordinates, otherwise one in the same city, then the same province.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class Place:
    province: str = ""
    city: str = ""
    lat: float | None = None
    lng: float | None = None

    @property
    def has_coordinates(self) -> bool:
        return self.lat is not None and self.lng is not None


@dataclass(frozen=True)
class Warehouse:
    warehouse_id: str
    available: int
    place: Place


@dataclass(frozen=True)
class Demand:
    """A confirmed, unshipped order's need of one SKU."""

    order_id: str
    quantity: int


@dataclass(frozen=True)
class TransferOption:
    """The warehouse an emergency transfer would come from, and why it was chosen."""

    warehouse_id: str
    available: int
    province: str
    city: str
    basis: str  # distance | city | province | stock (none nearer: the one with most stock)
    distance_km: float | None = None


def orders_to_lock(oldest_first: Sequence[Demand], stock: int) -> tuple[str, ...]:
    """The newest orders whose need goes past the stock: locking them leaves what the others need within it."""
    needed = sum(d.quantity for d in oldest_first)
    locked: list[str] = []
    for demand in reversed(oldest_first):
        if needed <= max(stock, 0):
            break
        locked.append(demand.order_id)
        needed -= demand.quantity
    return tuple(locked)


def distance_km(a: Place, b: Place) -> float:
    """Great-circle distance (haversine); both places have coordinates."""
    assert a.lat is not None and a.lng is not None and b.lat is not None and b.lng is not None
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lng - a.lng)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def nearest_with_stock(destination: Place, warehouses: Sequence[Warehouse], quantity: int) -> TransferOption | None:
    stocked = sorted((w for w in warehouses if w.available >= quantity), key=lambda w: w.warehouse_id)
    if not stocked:
        return None
    located = [w for w in stocked if w.place.has_coordinates]
    if destination.has_coordinates and located:
        best = min(located, key=lambda w: distance_km(destination, w.place))
        return _option(best, "distance", round(distance_km(destination, best.place), 1))
    same_city = [w for w in stocked if w.place.city and w.place.city == destination.city]
    same_province = [w for w in stocked if w.place.province and w.place.province == destination.province]
    for basis, matching in (("city", same_city), ("province", same_province)):
        if matching:
            return _option(max(matching, key=lambda w: w.available), basis)
    return _option(max(stocked, key=lambda w: w.available), "stock")


def _option(warehouse: Warehouse, basis: str, distance: float | None = None) -> TransferOption:
    place = warehouse.place
    return TransferOption(warehouse.warehouse_id, warehouse.available, place.province, place.city, basis, distance)
