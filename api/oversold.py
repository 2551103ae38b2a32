"""Overselling, checked the moment an order or a stock level arrives (product.md §2 `oversold`).

Within one transaction per SKU — which first takes the SKU's check lock (a write to its stock rows, as the ledger
lock does for an order) so two checks of one SKU never both see the same stock — the orders still waiting for the SKU
and its warehouses go to the rule book (`rulebook.oversell.lock_changes`): each order ships from its nearest
warehouse, which covers its waiting orders oldest first. An order its warehouse cannot cover is locked and gets an
`oversold` case (its id derived from the order and the moment of the lock, so a retried request finds the same case)
naming the line; a locked order its warehouse covers again (a restock) is unlocked, oldest first
(`unlocked_by: restock`). The workflows start after the commit; one whose start is lost is started by the exception
scan's restart step. A SKU the inventory feed never described is not checked.
"""

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from api.case_workflow import start_case
from api.errors import Unavailable
from models import order_locks
from models.case import Case, open_key
from models.inventory import StockLevel
from models.order import Order
from rulebook.enums import CaseKind, CaseStatus, Party, ReasonCode
from rulebook.oversell import Demand, Warehouse, allocate, lock_changes
from settings import Settings

log = logging.getLogger("api")


@dataclass
class Checked:
    opened: list[Case] = field(default_factory=list)  # the oversold cases the check opened
    unlocked: list[str] = field(default_factory=list)  # the orders a restock unlocked, oldest first


async def check(session: AsyncSession, client: Client, settings: Settings, skus: Iterable[str]) -> Checked:
    """Locks the orders each SKU's warehouses cannot serve and opens their cases, and unlocks the locked orders
    their warehouse covers again."""
    checked = Checked()
    for sku in dict.fromkeys(skus):
        await _check_sku(session, sku, checked)
        await session.commit()
    for case in checked.opened:
        try:
            await start_case(client, case, settings, WorkflowIDConflictPolicy.USE_EXISTING)
        except Unavailable:  # the order or stock is stored; the scan's restart step starts the case
            log.warning("oversold case %s stored, its workflow not started yet", case.case_id)
    return checked


async def _check_sku(session: AsyncSession, sku: str, checked: Checked) -> None:
    touched = await session.exec(
        update(StockLevel).where(col(StockLevel.sku) == sku).values(check_seq=col(StockLevel.check_seq) + 1)
    )
    if not touched.rowcount:
        return  # the feed never described this SKU's stock
    demands = await order_locks.waiting(session, sku)
    warehouses = await order_locks.warehouses(session, sku)
    changes = lock_changes(demands, warehouses)
    now = datetime.now(UTC)
    for order in await _orders(session, changes.unlock):
        if order.locked_sku in (sku, None):  # an order locked on another of its lines stays locked for it
            order_locks.unlock(order, order_locks.Unlocked.RESTOCK, now)
            checked.unlocked.append(order.order_id)
    for order in await _orders(session, changes.relock):
        order_locks.lock(order, sku, now)
    why = _shortfall(sku, demands, warehouses)
    by_id = {d.order_id: d for d in demands}
    for order in await _orders(session, changes.lock):
        order_locks.lock(order, sku, now)
        case = _case(order, sku, by_id[order.order_id].quantity, why.get(order.order_id, sku), now)
        session.add(case)
        checked.opened.append(case)
    await session.flush()


async def _orders(session: AsyncSession, order_ids: Iterable[str]) -> list[Order]:
    found = [await session.get(Order, order_id) for order_id in order_ids]
    return [order for order in found if order is not None]


def _shortfall(sku: str, demands: list[Demand], warehouses: list[Warehouse]) -> dict[str, str]:
    """Why each order is short, in one line: its warehouse, what it holds and what its waiting orders need."""
    allocation = allocate(demands, warehouses)
    held = {w.warehouse_id: w.available for w in warehouses}
    need: dict[str, int] = {}
    for demand in demands:
        home = allocation.home.get(demand.order_id)
        if home is not None:
            need[home] = need.get(home, 0) + demand.quantity
    return {
        order_id: f"{sku}: warehouse {home} holds {held[home]}, its confirmed unshipped orders need {need[home]}"
        for order_id, home in allocation.home.items()
    }


def _case(order: Order, sku: str, quantity: int, why: str, now: datetime) -> Case:
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
        items=[{"sku": sku, "quantity": quantity}],  # the oversold line: what an emergency transfer moves
        awaiting=Party.MERCHANT,
        open_key=open_key(order.order_id, CaseKind.OVERSOLD),
        workflow_id=f"case-{case_id}",
    )
