"""An oversold order's emergency-transfer option: the nearest warehouse holding its quantity of the SKU
(`rulebook.oversell.nearest_with_stock`), read from the inventory feed's stock levels."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.inventory import StockLevel
from models.order import Order
from rulebook.oversell import Place, TransferOption, Warehouse, nearest_with_stock


async def transfer_option(
    session: AsyncSession, order: Order, exclude: str | None = None, quantity: int | None = None
) -> TransferOption | None:
    """For the first item of the order whose SKU the feed describes; None when no warehouse holds enough.
    `exclude`: a warehouse that cannot be the source (the one the stock is moved to); `quantity`: what must be held
    (the item's quantity unless given; 0: the nearest warehouse that stocks the SKU at all)."""
    address = order.shipping_address
    destination = Place(
        str(address.get("province", "")),
        str(address.get("city", "")),
        _num(address.get("lat")),
        _num(address.get("lng")),
    )
    for item in order.items:
        rows = (
            await session.exec(
                select(StockLevel).where(StockLevel.sku == str(item.get("sku"))).order_by(col(StockLevel.warehouse_id))
            )
        ).all()
        if rows:
            warehouses = [
                Warehouse(
                    r.warehouse_id,
                    r.available,
                    Place(str(r.location.get("province", "")), str(r.location.get("city", "")), r.lat, r.lng),
                )
                for r in rows
                if r.warehouse_id != exclude
            ]
            needed = int(item.get("quantity", 1)) if quantity is None else quantity
            return nearest_with_stock(destination, warehouses, needed)
    return None


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
