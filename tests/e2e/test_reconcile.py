"""WF-12 on a real dev server: a case whose workflow was terminated is closed by the reconciliation, on its chain."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client, ScheduleActionStartWorkflow

from activities.adapters.payments import FakePaymentProvider
from models.timeline import CaseEvent, verify_chain
from rulebook.enums import CaseStatus
from tests.builders import add_case, add_order
from tests.support.polling import eventually
from tests.workflows.support import stored
from worker import build_worker, ensure_schedule, reconcile_schedule
from workflows import search_attributes as sa
from workflows.case import CaseWorkflow
from workflows.ending import RECONCILE_SCHEDULE_ID, ReconcileRequest, ReconcileResult
from workflows.reconcile import ReconcileWorkflow

pytestmark = pytest.mark.e2e
Sessions = async_sessionmaker[AsyncSession]


async def test_a_terminated_case_is_closed_by_the_reconciliation_with_a_timeline_event(
    dev_client: Client, sessions: Sessions
) -> None:
    queue = f"reconcile-{uuid.uuid4().hex[:8]}"
    async with build_worker(dev_client, sessions, FakePaymentProvider(), queue):
        case = await add_case(sessions, await add_order(sessions))
        attributes = sa.at_start(
            kind=case.kind,
            shop_id=case.shop_id,
            buyer_id=case.buyer_id,
            order_id=case.order_id,
            status=CaseStatus.AWAITING_MERCHANT,
            awaiting="merchant",
            urgent=case.urgent,
        )
        handle = await dev_client.start_workflow(
            CaseWorkflow.run, case, id=f"case-{case.case_id}", task_queue=queue, search_attributes=attributes
        )
        await handle.execute_update(CaseWorkflow.opened)
        await handle.terminate(reason="历史卡住,人工终止")
        assert (await stored(sessions, case.case_id)).status == CaseStatus.AWAITING_MERCHANT  # the orphan

        async def reconcile() -> ReconcileResult:
            run_id = f"reconcile-{uuid.uuid4().hex[:8]}"
            return await dev_client.execute_workflow(
                ReconcileWorkflow.run, ReconcileRequest(), id=run_id, task_queue=queue
            )

        await eventually(reconcile, lambda result: case.case_id in result.repaired, within=20)
        again = await reconcile()

    assert case.case_id not in again.repaired  # closed once
    row = await stored(sessions, case.case_id)
    assert (row.status, row.awaiting, row.deadline, row.open_key) == (CaseStatus.CANCELLED, None, None, None)
    async with sessions() as session:
        query = select(CaseEvent).where(CaseEvent.case_id == case.case_id).order_by(col(CaseEvent.seq))
        events = list((await session.exec(query)).all())
    assert [e.type for e in events] == ["case_opened", "case_repaired"]
    assert events[-1].data["workflow_status"] == "terminated"
    assert events[-1].data["reason"] == "历史卡住,人工终止"
    assert verify_chain(events, row.head_hash, row.event_count).valid


async def test_the_worker_keeps_one_reconcile_schedule_at_the_configured_interval(dev_client: Client) -> None:
    await ensure_schedule(dev_client, RECONCILE_SCHEDULE_ID, reconcile_schedule("q", timedelta(minutes=10)))
    try:
        await ensure_schedule(dev_client, RECONCILE_SCHEDULE_ID, reconcile_schedule("q", timedelta(minutes=3)))
        described = await dev_client.get_schedule_handle(RECONCILE_SCHEDULE_ID).describe()
        assert [i.every for i in described.schedule.spec.intervals] == [timedelta(minutes=3)]
        action = described.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow) and action.workflow == "ReconcileWorkflow"
    finally:
        await dev_client.get_schedule_handle(RECONCILE_SCHEDULE_ID).delete()
