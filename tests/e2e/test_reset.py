"""What `temporal workflow reset` does to a case, on a real dev server: a case closed with an accepted partial refund,
reset to its first workflow task, neither pays again nor adopts the old run's steps for its own. Its new run finds
its first step stored by the old run, puts `timeline_diverged` on the timeline and hands the case to an agent; the
case row, the timeline, the chain and the workflow agree afterwards."""

import uuid

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import Client, WorkflowUpdateFailedError

from activities.adapters.payments import FakePaymentProvider
from models.ledger import LedgerEntry
from models.timeline import CaseEvent, verify_chain
from rulebook.enums import Action, CaseStatus, Outcome, Party, Role
from tests.builders import add_case, add_order
from tests.support.polling import eventually
from tests.workflows.support import merchant, start_opening, stored
from worker import build_worker
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest

pytestmark = pytest.mark.e2e
Sessions = async_sessionmaker[AsyncSession]


async def test_a_case_reset_after_its_refund_pays_nothing_again_and_goes_to_an_agent(
    dev_client: Client, sessions: Sessions
) -> None:
    queue, payments = f"reset-{uuid.uuid4().hex[:8]}", FakePaymentProvider()
    async with build_worker(dev_client, sessions, payments, queue):
        case = await add_case(sessions, await add_order(sessions))
        handle = await start_opening(dev_client, queue, case)
        await handle.execute_update(CaseWorkflow.opened)
        offer = merchant(case, Action.PROPOSE, outcome=Outcome.PARTIAL_REFUND, amount_cents=3000, message="部分退款")
        await handle.execute_update(CaseWorkflow.act, offer)
        accept = ActionRequest(Action.ACCEPT_PROPOSAL, Role.BUYER, case.buyer_id)
        assert await handle.execute_update(CaseWorkflow.act, accept) == CaseStatus.RESOLVED
        assert await handle.result() == CaseStatus.RESOLVED
        before = (await stored(sessions, case.case_id)).event_count

        completed = EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        tasks = [e.event_id async for e in handle.fetch_history_events() if e.event_type == completed]
        reset = await dev_client.workflow_service.reset_workflow_execution(
            ResetWorkflowExecutionRequest(
                namespace=dev_client.namespace,
                workflow_execution=WorkflowExecution(workflow_id=handle.id, run_id=handle.result_run_id or ""),
                reason="重放测试",
                workflow_task_finish_event_id=tasks[0],
                request_id=uuid.uuid4().hex,
            )
        )
        after_reset = dev_client.get_workflow_handle_for(CaseWorkflow.run, handle.id, run_id=reset.run_id)

        row = await eventually(
            lambda: stored(sessions, case.case_id), lambda row: row.status == CaseStatus.IN_ARBITRATION, within=30
        )
        approve = merchant(case, Action.APPROVE)
        with pytest.raises(WorkflowUpdateFailedError):  # the case is the agent's now, not the merchant's
            await after_reset.execute_update(CaseWorkflow.act, approve)
        state = await after_reset.query(CaseWorkflow.state)
        anchor = await after_reset.query(CaseWorkflow.chain)

    assert (row.awaiting, row.urgent) == (Party.AGENT, True)
    assert (state.position.status, state.chain.seq) == (CaseStatus.IN_ARBITRATION, before + 1)
    async with sessions() as session:
        query = select(CaseEvent).where(CaseEvent.case_id == case.case_id).order_by(col(CaseEvent.seq))
        events = list((await session.exec(query)).all())
        moves = list((await session.exec(select(LedgerEntry).where(LedgerEntry.case_id == case.case_id))).all())
    assert [e.type for e in events][-2:] == ["case_closed", "timeline_diverged"]
    assert events[-1].data["run_id"] == reset.run_id and events[-1].data["attempted"][0] == "case_opened"
    assert [(m.business_key, m.amount_cents) for m in moves] == [(f"case-{case.case_id}:refund:1", 3000)]
    assert payments.calls.count(f"case-{case.case_id}:refund:1") == 1
    final = await stored(sessions, case.case_id)
    assert anchor.complete and verify_chain(events, final.head_hash, final.event_count, anchor.hashes).valid
