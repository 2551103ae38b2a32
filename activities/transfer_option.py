"""Where an oversold order's goods are and could come from, by the rule book's one rule of nearness
(`rulebook.oversell`) over the inventory feed's stock levels: the line the case is about, the order's own (home)
warehouse, the nearest other warehouse with spare stock of that line, and fulfilment's listings put in that order."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import order_locks
from models.inventory import StockLevel
from models.order import Order
from rulebook.oversell import Demand, Place, TransferOption, Warehouse, allocate, nearest_first, transfer_from


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int


async def oversold_line(session: AsyncSession, order: Order, case_items: Sequence[dict[str, Any]] | None) -> Line:
    """The line the case names (an oversold case names the one its warehouse could not cover), else the line the
    order is locked on, else the first the inventory feed describes, else the first."""
    lines = [Line(str(i["sku"]), int(i.get("quantity", 1))) for i in (case_items or order.items)]
    if not case_items and order.locked_sku:
        lines = [line for line in lines if line.sku == order.locked_sku] or lines
    for line in lines:
        if await order_locks.warehouses(session, line.sku):
            return line
    return lines[0]


async def transfer_option(session: AsyncSession, order: Order, line: Line) -> TransferOption | None:
    """The nearest warehouse but the order's own whose spare stock holds the line; None: none does."""
    demands, warehouses = await _demands(session, order, line)
    me = next(d for d in demands if d.order_id == order.order_id)
    return transfer_from(me, demands, warehouses)


async def home(session: AsyncSession, order: Order, line: Line) -> tuple[str | None, bool]:
    """The order's own warehouse for the line (None: the feed describes none) and whether it covers the order."""
    demands, warehouses = await _demands(session, order, line)
    allocation = allocate(demands, warehouses)
    return allocation.home.get(order.order_id), order.order_id in allocation.covered


async def nearest_listed(session: AsyncSession, order: Order, listed: Sequence[str]) -> list[str]:
    """Warehouse ids as fulfilment listed them, nearest to the order's address first by the rule book: places from
    the inventory feed (any SKU's rows), ties and unknown places in the listing's order."""
    rows = await session.exec(select(StockLevel).where(col(StockLevel.warehouse_id).in_(list(listed))))
    places = {r.warehouse_id: order_locks.place_of(r.location, r.lat, r.lng) for r in rows.all()}
    warehouses = [Warehouse(w, 0, places.get(w, Place())) for w in listed]
    return [n.warehouse.warehouse_id for n in nearest_first(order_locks.destination(order), warehouses)]


async def _demands(session: AsyncSession, order: Order, line: Line) -> tuple[list[Demand], list[Warehouse]]:
    """The line's waiting orders, oldest first; this order last if it no longer waits (shipped, refunded)."""
    demands = await order_locks.waiting(session, line.sku)
    if all(d.order_id != order.order_id for d in demands):
        demands.append(Demand(order.order_id, line.quantity, order_locks.destination(order)))
    return demands, await order_locks.warehouses(session, line.sku)
