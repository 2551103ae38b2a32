"""The ledger's claim serialises an order's money moves (MONEY-01): many cases claiming at once never take more
than was paid, on SQLite and on PostgreSQL alike."""

import asyncio

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import ActivityEnvironment

from activities.adapters.payments import FakePaymentProvider
from activities.payments import MoneyActivities
from models.case import Case
from models.db import transaction
from models.ledger import LedgerEntry
from models.order import Order
from tests.builders import add_case, add_order
from workflows.messages import MoneyMove, MoneyOutcome

Sessions = async_sessionmaker[AsyncSession]


async def test_ten_cases_claiming_one_order_at_once_take_exactly_what_was_paid(sessions: Sessions) -> None:
    order = await add_order(sessions, total_cents=9900)
    cases = [await add_case(sessions, order, held_open=False) for _ in range(10)]
    activities = MoneyActivities(sessions, FakePaymentProvider())
    moves = [MoneyMove(c.case_id, c.order_id, f"case-{c.case_id}:refund:1", "refund", 3000) for c in cases]

    receipts = await asyncio.gather(*(ActivityEnvironment().run(activities.move_money, m) for m in moves))

    assert sum(r.amount_cents for r in receipts) == 9900
    outcomes = sorted(r.status for r in receipts)
    assert outcomes == sorted([MoneyOutcome.PAID] * 3 + [MoneyOutcome.CAPPED] + [MoneyOutcome.REFUSED] * 6)
    capped = next(r for r in receipts if r.status == MoneyOutcome.CAPPED)
    assert (capped.amount_cents, capped.refunded_before_cents, capped.left_before_cents) == (900, 9000, 900)
    async with sessions() as session:
        rows = (await session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order.order_id))).all()
    assert sum(r.amount_cents for r in rows if r.status == "succeeded") == 9900


async def test_a_case_naming_an_item_never_refunds_more_than_that_line(sessions: Sessions) -> None:
    order = await add_order(sessions, total_cents=7000)
    async with transaction(sessions) as session:
        row = await session.get(Order, order.order_id)
        assert row is not None
        row.items = [
            {"sku": "tee", "title": "T恤", "quantity": 1, "unit_price_cents": 3000},
            {"sku": "socks", "title": "袜子", "quantity": 4, "unit_price_cents": 1000},
        ]
        session.add(row)
    socks_cases = [await add_case(sessions, order, held_open=False) for _ in range(3)]
    async with transaction(sessions) as session:
        for case in socks_cases:
            stored = await session.get(Case, case.case_id)
            assert stored is not None
            stored.items = [{"sku": "socks", "quantity": 4}]
            session.add(stored)
    activities = MoneyActivities(sessions, FakePaymentProvider())
    moves = [MoneyMove(c.case_id, c.order_id, f"case-{c.case_id}:refund:1", "refund", 2500) for c in socks_cases]

    receipts = await asyncio.gather(*(ActivityEnvironment().run(activities.move_money, m) for m in moves))

    assert sum(r.amount_cents for r in receipts) == 4000  # the socks line, though the order has 7 000
    async with sessions() as session:
        rows = (await session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order.order_id))).all()
    assert sum((r.lines or {}).get("socks", 0) for r in rows) == 4000
