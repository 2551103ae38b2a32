"""An emergency transfer's stock move (§7): the nearest warehouse holding the order's quantity sends it to the order's
own warehouse, which then ships the goods. The nearest is the inventory feed's (`PUT /inventory/{sku}`: by the
warehouses' coordinates, else the same city, then province — `activities/transfer_option.py`); where the feed does not
describe the SKU, the fulfilment service's stock listing, nearest first. An order that names no warehouse, or whose
warehouse holds the stock already, needs no transfer (`transferred: false` with the reason)."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from activities.adapters.fulfilment import Fulfilment, Item
from activities.adapters.remedy_errors import RemedyRefused
from activities.transfer_option import transfer_option
from models.order import Order, Shipment
from rulebook.enums import ShipmentDirection

NEAR = frozenset({"distance", "city", "province"})  # a home warehouse is near the buyer, not merely the best stocked


@dataclass
class StockTransfer:
    sessions: async_sessionmaker[AsyncSession]
    fulfilment: Fulfilment

    async def move(self, key: str, order_id: str, item: Item, source: str | None, target: str | None) -> dict[str, Any]:
        async with self.sessions() as session:
            order = await session.get(Order, order_id)
            if order is None:
                raise RemedyRefused(f"no order {order_id}")
            target = target or await _order_warehouse(session, order)
            option = None
            if source is None and target is not None:
                option = await transfer_option(session, order, exclude=target)
        if target is None:
            return _none_needed("the order names no warehouse: the nearest with stock ships it")
        basis: dict[str, Any] = {"basis": option.basis, "distance_km": option.distance_km} if option else {}
        if source is None and option is not None:
            source = option.warehouse_id
        if source is None:
            listed = await self.fulfilment.stock(sku=item.sku)  # nearest first
            if listed.get(target, 0) >= item.quantity:
                return _none_needed(f"{target} holds the stock", to_warehouse=target)
            source = next((w for w, units in listed.items() if w != target and units >= item.quantity), None)
            basis = {"basis": "fulfilment_listing"}
        if source is None:
            raise RemedyRefused(f"no warehouse has {item.quantity} of {item.sku} to transfer to {target}")
        reference = await self.fulfilment.transfer(
            idempotency_key=key, sku=item.sku, quantity=item.quantity, from_warehouse=source, to_warehouse=target
        )
        moved = {"sku": item.sku, "quantity": item.quantity, "from_warehouse": source, "to_warehouse": target}
        return {"reference": reference, "transferred": True, **moved, **basis}


async def _order_warehouse(session: AsyncSession, order: Order) -> str | None:
    """The warehouse the order ships from: its shipment's, else the feed's nearest to the buyer that stocks the SKU."""
    shipped = select(Shipment.warehouse_id).where(
        Shipment.order_id == order.order_id,
        Shipment.direction == ShipmentDirection.OUTBOUND,
        col(Shipment.warehouse_id).is_not(None),
    )
    named = (await session.exec(shipped.order_by(col(Shipment.id).desc()))).first()
    if named:
        return named
    home = await transfer_option(session, order, quantity=0)
    return home.warehouse_id if home is not None and home.basis in NEAR else None


def _none_needed(reason: str, **more: Any) -> dict[str, Any]:
    return {"reference": "", "transferred": False, "reason": reason, **more}
