"""An oversold order's lock as stored (`orders.locked_at`, `locked_sku`, `unlocked_at`/`unlocked_by`,
`cancelled_at`): who waits for a SKU's stock, the SKU's warehouses as the rule book sees them, and the lock's lifting.
Helpers only flush; the caller's transaction commits."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, exists, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.case import Case
from models.inventory import StockLevel
from models.ledger import LedgerEntry, LedgerKind, LedgerStatus
from models.order import Order, Shipment
from models.order_line import OrderLine
from rulebook.enums import FINAL_STATUSES, CaseKind, ShipmentDirection
from rulebook.enums import LockRelease as Release
from rulebook.oversell import Demand, Place, Warehouse


class Unlocked(StrEnum):
    RESTOCK = "restock"  # its warehouse covers it again
    REMEDY = "remedy"  # the merchant's remedy was carried out
    CASE_CLOSED = "case_closed"  # its oversold case closed by any other path


def shipped() -> ColumnElement[bool]:
    """The order's own parcel was posted, or its oversold case's emergency transfer shipped it."""
    own = exists().where(
        col(Shipment.order_id) == col(Order.order_id), col(Shipment.direction) == ShipmentDirection.OUTBOUND
    )
    transferred = exists().where(
        col(Shipment.order_id) == col(Order.order_id),
        col(Shipment.direction) == ShipmentDirection.REPLACEMENT,
        col(Shipment.case_id) == col(Case.case_id),
        col(Case.kind) == CaseKind.OVERSOLD,
    )
    return or_(own, transferred)


def owed() -> ColumnElement[bool]:
    """Not refunded in full: a refund before shipment cancels the order's need of stock."""
    left: ColumnElement[bool] = _refunded() < col(Order.total_cents)
    return left


async def transfer_parcel(session: AsyncSession, order_id: str) -> Shipment | None:
    """The parcel an oversold case's emergency transfer shipped the order in: the order is shipped by it."""
    query = (
        select(Shipment)
        .join(Case, col(Case.case_id) == col(Shipment.case_id))
        .where(
            Shipment.order_id == order_id,
            Shipment.direction == ShipmentDirection.REPLACEMENT,
            Case.kind == CaseKind.OVERSOLD,
        )
    )
    return (await session.exec(query.order_by(col(Shipment.id)))).first()


async def warehouses(session: AsyncSession, sku: str) -> list[Warehouse]:
    rows = await session.exec(select(StockLevel).where(StockLevel.sku == sku).order_by(col(StockLevel.warehouse_id)))
    return [Warehouse(r.warehouse_id, r.available, place_of(r.location, r.lat, r.lng)) for r in rows.all()]


async def waiting(session: AsyncSession, sku: str) -> list[Demand]:
    """The confirmed orders still waiting for `sku` (not shipped, not cancelled, not refunded in full), oldest
    first, locked or not, each with its oversold case's state."""
    case_state = (
        select(Case.status)
        .where(col(Case.order_id) == col(Order.order_id), col(Case.kind) == CaseKind.OVERSOLD)
        .limit(1)
        .scalar_subquery()
    )
    rows = await session.exec(
        select(Order, func.sum(OrderLine.quantity), case_state)
        .join(OrderLine, col(OrderLine.order_id) == col(Order.order_id))
        .where(col(OrderLine.sku) == sku, col(Order.cancelled_at).is_(None), ~shipped(), owed())
        .group_by(col(Order.order_id))
        .order_by(col(Order.paid_at), col(Order.order_id))
    )
    return [
        Demand(
            order.order_id,
            int(quantity),
            destination(order),
            locked=order.locked_at is not None,
            case=None if status is None else ("closed" if status in FINAL_STATUSES else "open"),
        )
        for order, quantity, status in rows.all()
    ]


def destination(order: Order) -> Place:
    address = order.shipping_address
    return place_of(address, _num(address.get("lat")), _num(address.get("lng")))


def place_of(location: dict[str, Any], lat: float | None, lng: float | None) -> Place:
    return Place(str(location.get("province", "")), str(location.get("city", "")), lat, lng)


def lock(order: Order, sku: str, at: datetime) -> None:
    order.locked_at, order.locked_sku, order.unlocked_at, order.unlocked_by = at, sku, None, None


def unlock(order: Order, by: Unlocked, at: datetime) -> None:
    if order.locked_at is not None:
        order.locked_at, order.unlocked_at, order.unlocked_by = None, at, by


async def release(session: AsyncSession, order_id: str, refunded_in_full: bool, at: datetime) -> Release:
    """An oversold case closed: its order is unlocked, or cancelled if refunded in full (as the caller says or the
    ledger shows) and not shipped. Idempotent: a second call finds nothing to do."""
    order = await session.get(Order, order_id, with_for_update=True)
    if order is None or order.cancelled_at is not None:
        return Release.NOT_LOCKED
    if await _is_shipped(session, order_id):
        return Release.SHIPPED
    if refunded_in_full or await _refunded_cents(session, order_id) >= order.total_cents:
        order.cancelled_at = at
        unlock(order, Unlocked.CASE_CLOSED, at)
        session.add(order)
        return Release.CANCELLED
    if order.locked_at is None:
        return Release.NOT_LOCKED
    unlock(order, Unlocked.CASE_CLOSED, at)
    session.add(order)
    return Release.UNLOCKED


async def _is_shipped(session: AsyncSession, order_id: str) -> bool:
    found = await session.exec(select(Order.order_id).where(Order.order_id == order_id, shipped()))
    return found.first() is not None


async def _refunded_cents(session: AsyncSession, order_id: str) -> int:
    found = await session.exec(select(_refunded()).select_from(Order).where(Order.order_id == order_id))
    return int(found.one() or 0)


def _refunded() -> Any:
    return (
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .where(
            col(LedgerEntry.order_id) == col(Order.order_id),
            col(LedgerEntry.kind) == LedgerKind.REFUND,
            col(LedgerEntry.status) == LedgerStatus.SUCCEEDED,
        )
        .scalar_subquery()
    )


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
