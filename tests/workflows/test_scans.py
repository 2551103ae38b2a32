"""The exception scan at scale on the time-skipping server: handled rows are skipped in SQL (no starvation),
pages follow one another across continue-as-new, and racing rounds open one case per stall or miss."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from activities.scans import scan_case_id
from models.case import Case
from models.db import transaction
from models.ledger import LedgerEntry, LedgerKind, LedgerStatus
from models.order import Order
from rulebook.enums import CaseKind, CaseStatus, ReasonCode
from tests.builders import add_order, new_id
from tests.workflows.test_exceptions import stalled_order
from workflows.messages import ScanRequest, ScanResult
from workflows.scans import ScanWorkflow

Sessions = async_sessionmaker[AsyncSession]


async def run_scan(env: WorkflowEnvironment, queue: str, request: ScanRequest) -> ScanResult:
    with env.auto_time_skipping_disabled():
        return await env.client.execute_workflow(
            ScanWorkflow.run, request, id=f"scan-{uuid.uuid4().hex}", task_queue=queue
        )


async def unshipped_orders(sessions: Sessions, shop_id: str, count: int, ship_by: datetime) -> list[Order]:
    """`count` paid orders of `shop_id` past ship-by with no shipment, one second apart."""
    orders = [
        Order(
            order_id=new_id("order"),
            buyer_id=new_id("buyer"),
            shop_id=shop_id,
            total_cents=1000,
            paid_at=ship_by - timedelta(days=1),
            ship_by=ship_by + timedelta(seconds=i),
            items=[{"sku": "tee-1", "title": "T", "quantity": 1, "unit_price_cents": 1000}],
            shipping_address={"city": "上海"},
        )
        for i in range(count)
    ]
    async with transaction(sessions) as session:
        session.add_all(orders)
    return orders


async def refund_in_full(sessions: Sessions, orders: list[Order]) -> None:
    """Each order refunded before shipment by a (closed) refund_only case: nothing is owed any more."""
    async with transaction(sessions) as session:
        for order in orders:
            case_id = uuid.uuid4().hex[:16]
            session.add(
                Case(
                    case_id=case_id,
                    kind=CaseKind.REFUND_ONLY,
                    status=CaseStatus.RESOLVED,
                    order_id=order.order_id,
                    buyer_id=order.buyer_id,
                    shop_id=order.shop_id,
                    amount_cents=order.total_cents,
                    reason=ReasonCode.NOT_SHIPPED,
                    workflow_id=f"case-{case_id}",
                )
            )
            await session.flush()
            session.add(
                LedgerEntry(
                    business_key=f"case-{case_id}:refund:1",
                    case_id=case_id,
                    order_id=order.order_id,
                    kind=LedgerKind.REFUND,
                    amount_cents=order.total_cents,
                    asked_cents=order.total_cents,
                    status=LedgerStatus.SUCCEEDED,
                )
            )


async def missed_cases(sessions: Sessions, shop_id: str) -> list[Case]:
    async with sessions() as session:
        statement = select(Case).where(Case.shop_id == shop_id, Case.kind == CaseKind.MISSED_SHIPMENT)
        return list((await session.exec(statement.order_by(col(Case.created_at)))).all())


async def test_600_orders_refunded_before_shipment_ahead_of_a_missed_one_do_not_hide_it(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    shop_id = new_id("shop")
    now = datetime.now(UTC)
    refunded = await unshipped_orders(sessions, shop_id, 600, ship_by=now - timedelta(days=5))
    await refund_in_full(sessions, refunded)
    [missed] = await unshipped_orders(sessions, shop_id, 1, ship_by=now - timedelta(days=1))

    found = await run_scan(time_skipping_env, task_queue, ScanRequest(shop_id=shop_id, page_size=3))

    [case] = await missed_cases(sessions, shop_id)
    assert case.order_id == missed.order_id and found.missed == (case.case_id,)
    assert case.case_id == scan_case_id("missed", missed.order_id)


async def test_a_round_pages_by_ship_by_and_continues_as_new_without_losing_or_repeating_an_order(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    shop_id = new_id("shop")
    orders = await unshipped_orders(sessions, shop_id, 7, ship_by=datetime.now(UTC) - timedelta(hours=2))
    request = ScanRequest(shop_id=shop_id, page_size=2, pages_per_run=2)
    with time_skipping_env.auto_time_skipping_disabled():
        handle = await time_skipping_env.client.start_workflow(
            ScanWorkflow.run, request, id=f"scan-{uuid.uuid4().hex}", task_queue=task_queue
        )
        found = await handle.result()

    cases = await missed_cases(sessions, shop_id)
    assert sorted(c.order_id for c in cases) == sorted(o.order_id for o in orders)
    assert found.opened == 7 and sorted(found.missed) == sorted(c.case_id for c in cases)
    first_run = time_skipping_env.client.get_workflow_handle(handle.id, run_id=handle.first_execution_run_id)
    assert (await first_run.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW  # 5 pages, 2 a run
    again = await run_scan(time_skipping_env, task_queue, request)
    assert again.opened == 0  # each handled in SQL now


async def test_rounds_racing_each_other_open_one_case_per_stall_and_per_miss(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    stalled = await stalled_order(sessions)
    shop_id = stalled.shop_id
    missed = await add_order(sessions, shipped=False)
    async with transaction(sessions) as session:
        row = await session.get(Order, missed.order_id)
        assert row is not None
        row.shop_id = shop_id

    request = ScanRequest(shop_id=shop_id, page_size=1)
    results = await asyncio.gather(*(run_scan(time_skipping_env, task_queue, request) for _ in range(4)))

    async with sessions() as session:
        cases = list((await session.exec(select(Case).where(Case.shop_id == shop_id))).all())
    assert sorted(c.kind for c in cases) == [CaseKind.LOGISTICS_STALLED, CaseKind.MISSED_SHIPMENT]
    assert sum(r.opened for r in results) >= 2
    assert {c.case_id for r in results for c in cases if c.case_id in r.stalled + r.missed} == {
        c.case_id for c in cases
    }
