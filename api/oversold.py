"""Overselling, checked the moment an order or a stock level arrives (product.md §2 `oversold`).

Within one transaction per SKU — which first takes the SKU's check lock (a write to its stock rows, as the ledger
lock does for an order) so two checks of one SKU never both see the same stock — the confirmed, unshipped,
unlocked orders needing the SKU are summed against its stock; the rule book names the newest to lock
(`rulebook.oversell.orders_to_lock`), each is locked and gets an `oversold` case (its id derived from the order and
the moment of the lock, so a retried request finds the same case). The workflows start after the commit; one whose
start is lost is started by the exception scan's restart step. A SKU the inventory feed never described is not
checked.
"""

import hashlib
import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, exists, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from api.case_workflow import start_case
from api.errors import Unavailable
from models.case import Case, open_key
from models.inventory import StockLevel
from models.ledger import LedgerEntry, LedgerKind, LedgerStatus
from models.order import Order, Shipment
from models.order_line import OrderLine
from rulebook.enums import CaseKind, CaseStatus, Party, ReasonCode, ShipmentDirection
from rulebook.oversell import Demand, orders_to_lock
from settings import Settings

log = logging.getLogger("api")


async def check(session: AsyncSession, client: Client, settings: Settings, skus: Iterable[str]) -> list[Case]:
    """Locks the orders each SKU cannot serve and opens their cases; the cases opened."""
    opened: list[Case] = []
    for sku in dict.fromkeys(skus):
        cases = await _lock_oversold(session, sku)
        await session.commit()
        opened += cases
    for case in opened:
        try:
            await start_case(client, case, settings, WorkflowIDConflictPolicy.USE_EXISTING)
        except Unavailable:  # the order or stock is stored; the scan's restart step starts the case
            log.warning("oversold case %s stored, its workflow not started yet", case.case_id)
    return opened


async def _lock_oversold(session: AsyncSession, sku: str) -> list[Case]:
    touched = await session.exec(
        update(StockLevel).where(col(StockLevel.sku) == sku).values(check_seq=col(StockLevel.check_seq) + 1)
    )
    if not touched.rowcount:
        return []  # the feed never described this SKU's stock
    stock = (
        await session.exec(select(func.coalesce(func.sum(StockLevel.available), 0)).where(StockLevel.sku == sku))
    ).one()
    needed = func.sum(OrderLine.quantity)
    rows = await session.exec(
        select(Order.order_id, needed)
        .join(OrderLine, col(OrderLine.order_id) == col(Order.order_id))
        .where(col(OrderLine.sku) == sku, col(Order.locked_at).is_(None), ~_shipped(), _owed(), _never_oversold())
        .group_by(col(Order.order_id), col(Order.paid_at))
        .order_by(col(Order.paid_at), col(Order.order_id))
    )
    demands = [Demand(order_id, int(quantity)) for order_id, quantity in rows.all()]
    locked = orders_to_lock(demands, int(stock))
    now = datetime.now(UTC)
    need = sum(d.quantity for d in demands)
    cases = []
    for order_id in locked:
        order = await session.get(Order, order_id)
        assert order is not None
        order.locked_at = now
        case = _case(order, f"{sku}: confirmed unshipped orders need {need}, {int(stock)} in stock", now)
        session.add(case)
        cases.append(case)
    await session.flush()
    return cases


def _case(order: Order, why: str, now: datetime) -> Case:
    case_id = hashlib.sha256(f"oversold:{order.order_id}:{now.isoformat()}".encode()).hexdigest()[:16]
    return Case(
        case_id=case_id,
        kind=CaseKind.OVERSOLD,
        status=CaseStatus.AWAITING_MERCHANT,
        order_id=order.order_id,
        buyer_id=order.buyer_id,
        shop_id=order.shop_id,
        amount_cents=order.total_cents,
        reason=ReasonCode.OTHER,
        description=why,
        awaiting=Party.MERCHANT,
        open_key=open_key(order.order_id, CaseKind.OVERSOLD),
        workflow_id=f"case-{case_id}",
    )


def _shipped() -> ColumnElement[bool]:
    return exists().where(
        col(Shipment.order_id) == col(Order.order_id), col(Shipment.direction) == ShipmentDirection.OUTBOUND
    )


def _never_oversold() -> ColumnElement[bool]:
    """An order is oversold once: its case's remedy (a transfer, a similar item) settles its need."""
    return ~exists().where(col(Case.order_id) == col(Order.order_id), col(Case.kind) == CaseKind.OVERSOLD)


def _owed() -> ColumnElement[bool]:
    """Not refunded in full: a refund before shipment cancels the order's need of stock."""
    refunded = (
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .where(
            col(LedgerEntry.order_id) == col(Order.order_id),
            col(LedgerEntry.kind) == LedgerKind.REFUND,
            col(LedgerEntry.status) == LedgerStatus.SUCCEEDED,
        )
        .scalar_subquery()
    )
    return refunded < col(Order.total_cents)
