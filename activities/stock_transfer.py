"""An emergency transfer's stock move (§7): the oversold line — the SKU the case is about, its quantity — moves from
the nearest warehouse with spare stock of it to the order's own warehouse, which then ships the goods. Nearness is the
rule book's (`rulebook.oversell`) over the inventory feed (`PUT /inventory/{sku}`; `activities/transfer_option.py`);
where the feed has no warehouse with the spare, fulfilment's stock listing, put in the same order of nearness. An
order whose warehouse the feed does not know needs no transfer, nor one its warehouse covers already
(`transferred: false` with the reason)."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from activities.adapters.fulfilment import Fulfilment, Item
from activities.adapters.remedy_errors import RemedyRefused
from activities.transfer_option import Line, home, nearest_listed, oversold_line, transfer_option
from models.case import Case
from models.order import Order, Shipment
from rulebook.enums import ShipmentDirection


@dataclass
class StockTransfer:
    sessions: async_sessionmaker[AsyncSession]
    fulfilment: Fulfilment

    async def move(
        self, key: str, case_id: str, order_id: str, item: Item | None, source: str | None, target: str | None
    ) -> dict[str, Any]:
        """`item`: the line to move (None: the case's oversold line); `source`/`target`: warehouses, when named."""
        async with self.sessions() as session:
            order = await session.get(Order, order_id)
            if order is None:
                raise RemedyRefused(f"no order {order_id}")
            line = (
                Line(item.sku, item.quantity)
                if item
                else await oversold_line(session, order, await _items(session, case_id))
            )
            own, covered = await home(session, order, line)
            target = target or await _shipped_from(session, order) or own
            if target is None:
                return _none_needed("the order's warehouse is unknown: the nearest with stock ships it")
            if source is None and covered and target == own:
                return _none_needed(f"{target} covers the order", to_warehouse=target)
            basis: dict[str, Any] = {}
            if source is None:
                source, basis = await self._source(session, order, line, target)
        if source is None:
            raise RemedyRefused(f"no warehouse has {line.quantity} of {line.sku} to transfer to {target}")
        reference = await self.fulfilment.transfer(
            idempotency_key=key, sku=line.sku, quantity=line.quantity, from_warehouse=source, to_warehouse=target
        )
        moved = {"sku": line.sku, "quantity": line.quantity, "from_warehouse": source, "to_warehouse": target}
        return {"reference": reference, "transferred": True, **moved, **basis}

    async def _source(
        self, session: AsyncSession, order: Order, line: Line, target: str
    ) -> tuple[str | None, dict[str, Any]]:
        """The nearest warehouse with spare stock of the line by the feed, else by fulfilment's listing."""
        option = await transfer_option(session, order, line)
        if option is not None:
            return option.warehouse_id, {"basis": option.basis, "distance_km": option.distance_km}
        listed = await self.fulfilment.stock(sku=line.sku)
        held = [w for w, units in listed.items() if w != target and units >= line.quantity]
        nearest = await nearest_listed(session, order, held)
        return (nearest[0] if nearest else None), {"basis": "fulfilment_listing"}


async def _items(session: AsyncSession, case_id: str) -> list[dict[str, Any]] | None:
    case = await session.get(Case, case_id)
    return case.items if case is not None else None


async def _shipped_from(session: AsyncSession, order: Order) -> str | None:
    """The warehouse the order's own parcel left from, when one was posted with it."""
    shipped = select(Shipment.warehouse_id).where(
        Shipment.order_id == order.order_id,
        Shipment.direction == ShipmentDirection.OUTBOUND,
        col(Shipment.warehouse_id).is_not(None),
    )
    return (await session.exec(shipped.order_by(col(Shipment.id).desc()))).first()


def _none_needed(reason: str, **more: Any) -> dict[str, Any]:
    return {"reference": "", "transferred": False, "reason": reason, **more}
