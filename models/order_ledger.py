"""Reading and claiming an order's ledger: the authority on what every case of the order may still refund.

`lock` is the first statement of a claim's transaction: an UPDATE of the order row, which PostgreSQL holds as a row
lock and SQLite as its single write lock until the transaction ends. Two claims on one order therefore run one after
the other, and the second sees the first's row (each PostgreSQL statement reads the latest committed data under READ
COMMITTED; a SQLite transaction whose first statement is a write reads after the lock is taken).
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.ledger import COUNTS_AGAINST_PAID, HOLDS_MONEY, LedgerEntry, LedgerKind, LedgerStatus
from models.order import Order
from rulebook import money


async def lock(session: AsyncSession, order_id: str) -> bool:
    """Takes the order's ledger lock for the rest of the transaction; False when there is no such order."""
    result = await session.exec(
        update(Order).where(col(Order.order_id) == order_id).values(ledger_seq=col(Order.ledger_seq) + 1)
    )
    return bool(result.rowcount)


async def entries(session: AsyncSession, order_id: str) -> list[LedgerEntry]:
    rows = await session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order_id).order_by(col(LedgerEntry.id)))
    return list(rows.all())


def order_lines(order: Order) -> list[money.OrderLine]:
    return [
        money.OrderLine(str(item.get("sku")), int(item.get("unit_price_cents", 0)), int(item.get("quantity", 0)))
        for item in order.items
    ]


def named_items(items: Sequence[dict[str, Any]] | None) -> list[money.NamedItem]:
    return [money.NamedItem(str(item["sku"]), int(item["quantity"])) for item in items or []]


def committed(rows: Sequence[LedgerEntry]) -> list[money.Committed]:
    """Refunds that hold the buyer's money (succeeded or still in flight), less the reversals that succeeded."""
    held = [
        money.Committed(row.amount_cents, dict(row.lines or {}))
        for row in rows
        if row.kind in COUNTS_AGAINST_PAID and row.status in HOLDS_MONEY
    ]
    reversed_ = [
        money.Committed(-row.amount_cents, {sku: -cents for sku, cents in (row.lines or {}).items()})
        for row in rows
        if row.kind == LedgerKind.REVERSAL and row.status == LedgerStatus.SUCCEEDED
    ]
    return held + reversed_


def case_refunded(rows: Sequence[LedgerEntry], case_id: str) -> money.Committed:
    """What one case has refunded and not had reversed, with its lines."""
    amount, lines = 0, dict[str, int]()
    for move in committed([row for row in rows if row.case_id == case_id]):
        amount += move.amount_cents
        for sku, cents in move.lines.items():
            lines[sku] = lines.get(sku, 0) + cents
    return money.Committed(amount, {sku: cents for sku, cents in lines.items() if cents})


def allowance(order: Order, rows: Sequence[LedgerEntry], items: Sequence[dict[str, Any]] | None) -> money.Allowance:
    return money.allowance(order.total_cents, order_lines(order), committed(rows), named_items(items))


def total(rows: Sequence[LedgerEntry], kinds: frozenset[str], statuses: frozenset[LedgerStatus]) -> int:
    return sum(row.amount_cents for row in rows if row.kind in kinds and row.status in statuses)
