"""Overselling (product.md §2 `oversold`, §7 out of stock), warehouse by warehouse.

- **Nearest** (one rule for every caller): by distance when both the warehouse and the delivery address have
  coordinates; otherwise a warehouse in the same city, then one in the same province, then any other. Ties keep the
  order the warehouses were given in (by id from the inventory feed; nearest first from the fulfilment service).
- **Stock is per warehouse and an order ships from one**: the nearest of the SKU's warehouses to its address (its
  *home*), whatever that warehouse holds.
- **Oversold**: a warehouse's waiting orders (confirmed, not shipped, not cancelled), oldest first, are covered while
  their running need stays within what it holds; the first that goes past it, and every later one, is not — even
  while another warehouse has the stock (the seed: "库存没了…从附近分仓调两件"). An uncovered order is locked and
  gets its case, once (uncovered again while that case is open, it is locked again without a second case); a locked
  order its warehouse covers again (a restock) is unlocked, oldest first. An order whose case closed is not locked
  again: it still waits for its goods, so it keeps its place in the line.
- **Transfer from**: the nearest other warehouse whose stock not already covering its own orders (its *spare*)
  holds the order's quantity.
"""

import math
from collections.abc import Iterable, Sequence
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
    """A waiting order's need of one SKU. `locked`: held as oversold now; `case`: its oversold case, if it had one
    (`open` or `closed`)."""

    order_id: str
    quantity: int
    destination: Place = Place()
    locked: bool = False
    case: str | None = None


@dataclass(frozen=True)
class Nearness:
    warehouse: Warehouse
    basis: str  # distance | city | province | elsewhere
    distance_km: float | None = None


@dataclass(frozen=True)
class TransferOption:
    """The warehouse an emergency transfer would come from, and why it was chosen."""

    warehouse_id: str
    available: int  # its spare: what it holds beyond its own orders' need
    province: str
    city: str
    basis: str  # distance | city | province | elsewhere
    distance_km: float | None = None


@dataclass(frozen=True)
class Allocation:
    """Each waiting order's home warehouse and whether that warehouse covers it."""

    home: dict[str, str]  # order id → warehouse id
    covered: frozenset[str]
    spare: dict[str, int]  # warehouse id → what it holds beyond the orders it covers


@dataclass(frozen=True)
class LockChanges:
    lock: tuple[str, ...]  # uncovered and never oversold: locked, each with a new case
    relock: tuple[str, ...]  # uncovered again while their case is still open: locked, no second case
    unlock: tuple[str, ...]  # locked and covered again (a restock): oldest first


def distance_km(a: Place, b: Place) -> float:
    """Great-circle distance (haversine); both places have coordinates."""
    assert a.lat is not None and a.lng is not None and b.lat is not None and b.lng is not None
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lng - a.lng)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def nearest_first(destination: Place, warehouses: Sequence[Warehouse]) -> list[Nearness]:
    """Every warehouse, nearest to `destination` first (the module's rule)."""
    ranked = [_nearness(destination, w) for w in warehouses]
    tier = {"distance": 0, "city": 1, "province": 2, "elsewhere": 3}
    return sorted(ranked, key=lambda n: (tier[n.basis], n.distance_km or 0.0))  # stable: ties keep the given order


def home_warehouse(destination: Place, warehouses: Sequence[Warehouse]) -> Nearness | None:
    """The warehouse an order to `destination` ships from: the nearest, whatever it holds."""
    ranked = nearest_first(destination, warehouses)
    return ranked[0] if ranked else None


def allocate(oldest_first: Sequence[Demand], warehouses: Sequence[Warehouse]) -> Allocation:
    home: dict[str, str] = {}
    left = {w.warehouse_id: max(w.available, 0) for w in warehouses}
    short: set[str] = set()  # warehouses an older order already went past: nothing later is covered there
    covered: set[str] = set()
    for demand in oldest_first:
        nearest = home_warehouse(demand.destination, warehouses)
        if nearest is None:
            continue
        warehouse_id = home[demand.order_id] = nearest.warehouse.warehouse_id
        if warehouse_id not in short and demand.quantity <= left[warehouse_id]:
            left[warehouse_id] -= demand.quantity
            covered.add(demand.order_id)
        else:
            short.add(warehouse_id)
    spare = {w: 0 if w in short else units for w, units in left.items()}
    return Allocation(home, frozenset(covered), spare)


def lock_changes(oldest_first: Sequence[Demand], warehouses: Sequence[Warehouse]) -> LockChanges:
    """What a check of one SKU changes: the orders to lock (newly uncovered) and to unlock (covered again)."""
    allocation = allocate(oldest_first, warehouses)
    placed = [d for d in oldest_first if d.order_id in allocation.home]
    short = [d for d in placed if d.order_id not in allocation.covered and not d.locked]
    return LockChanges(
        lock=tuple(d.order_id for d in short if d.case is None),
        relock=tuple(d.order_id for d in short if d.case == "open"),
        unlock=tuple(d.order_id for d in placed if d.order_id in allocation.covered and d.locked),
    )


def transfer_from(
    order: Demand, oldest_first: Sequence[Demand], warehouses: Sequence[Warehouse]
) -> TransferOption | None:
    """The nearest warehouse other than the order's home whose spare holds the order's quantity; None: none does."""
    allocation = allocate(oldest_first, warehouses)
    home = allocation.home.get(order.order_id)
    spare = [
        Warehouse(w.warehouse_id, allocation.spare.get(w.warehouse_id, 0), w.place)
        for w in warehouses
        if w.warehouse_id != home
    ]
    return nearest_holding(order.destination, spare, order.quantity)


def nearest_holding(destination: Place, warehouses: Iterable[Warehouse], quantity: int) -> TransferOption | None:
    """The nearest of `warehouses` holding `quantity`; None: none does."""
    ranked = nearest_first(destination, [w for w in warehouses if w.available >= quantity])
    if not ranked:
        return None
    best = ranked[0]
    place = best.warehouse.place
    return TransferOption(
        best.warehouse.warehouse_id, best.warehouse.available, place.province, place.city, best.basis, best.distance_km
    )


def _nearness(destination: Place, warehouse: Warehouse) -> Nearness:
    place = warehouse.place
    if destination.has_coordinates and place.has_coordinates:
        return Nearness(warehouse, "distance", round(distance_km(destination, place), 1))
    if place.city and place.city == destination.city:
        return Nearness(warehouse, "city")
    if place.province and place.province == destination.province:
        return Nearness(warehouse, "province")
    return Nearness(warehouse, "elsewhere")
