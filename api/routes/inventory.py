"""Stock levels from the inventory feed (role `system`). `PUT` replaces a SKU's stock (the same body twice is the
same state). Each order ships from its nearest warehouse: one that cannot cover its waiting orders (oldest first)
locks those past its stock and opens their `oversold` cases; one restocked unlocks the locked orders it now covers,
oldest first (api/oversold.py)."""

from fastapi import APIRouter
from sqlalchemy import delete
from sqlmodel import col, select

from api import oversold
from api.deps import SessionDep, SettingsDep, SystemDep, TemporalDep
from api.errors import documented
from api.schemas.inventory import InventoryPublic, InventoryPut, WarehouseStock
from api.schemas.orders import Id
from models.inventory import StockLevel, lock_stock

router = APIRouter(prefix="/inventory", tags=["integration"])


@router.put("/{sku}", responses=documented(413, 503))
async def put_stock(
    sku: Id, body: InventoryPut, _caller: SystemDep, session: SessionDep, client: TemporalDep, settings: SettingsDep
) -> InventoryPublic:
    await lock_stock(session, sku)
    await session.exec(delete(StockLevel).where(col(StockLevel.sku) == sku))
    for stock in body.warehouses:
        session.add(StockLevel(sku=sku, **stock.model_dump(mode="json")))
    await session.commit()
    checked = await oversold.check(session, client, settings, [sku])
    rows = (
        await session.exec(select(StockLevel).where(StockLevel.sku == sku).order_by(col(StockLevel.warehouse_id)))
    ).all()
    warehouses = [WarehouseStock.model_validate(r, from_attributes=True) for r in rows]
    return InventoryPublic(
        sku=sku,
        available=sum(w.available for w in warehouses),
        warehouses=warehouses,
        oversold_case_ids=[c.case_id for c in checked.opened],
        unlocked_order_ids=checked.unlocked,
    )
