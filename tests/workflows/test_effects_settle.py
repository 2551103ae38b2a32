"""A case closes only once what it decided has happened: a return whose refund the order's ledger refuses waits on
an agent with its workflow running, and the agent decides it (README "Two cases, one order")."""

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from rulebook.enums import Action, CaseKind, CaseStatus, Outcome, Party, Role, TrackingStatus
from tests.builders import add_case, add_order, new_id
from tests.workflows.support import event_types, merchant, start, stored
from tests.workflows.test_returns import ADDRESS, confirm, ship, track
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest

Sessions = async_sessionmaker[AsyncSession]


async def test_a_return_whose_refund_the_ledger_refuses_waits_on_an_agent_who_decides_it(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    order = await add_order(sessions)
    first = await add_case(sessions, order)  # refund_only of the whole order
    second = await add_case(sessions, order, kind=CaseKind.RETURN_REFUND)
    first_handle = await start(time_skipping_env, task_queue, first)
    handle = await start(time_skipping_env, task_queue, second)  # both opened while the order was whole
    assert await first_handle.execute_update(CaseWorkflow.act, merchant(first, Action.APPROVE)) == CaseStatus.RESOLVED

    approve = merchant(second, Action.APPROVE, return_address=ADDRESS)
    assert await handle.execute_update(CaseWorkflow.act, approve) == CaseStatus.AWAITING_RETURN_SHIPMENT
    tracking_no = new_id("SFR")
    await ship(handle, second, tracking_no)
    assert await track(handle, tracking_no, TrackingStatus.DELIVERED) == CaseStatus.AWAITING_RECEIPT

    assert await confirm(handle, second) == CaseStatus.IN_ARBITRATION
    row = await stored(sessions, second.case_id)
    assert (row.status, row.awaiting) == (CaseStatus.IN_ARBITRATION, Party.AGENT)
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    types = await event_types(sessions, second.case_id)
    assert types[-2:] == ["receipt_confirmed", "refund_refused"] and "case_closed" not in types

    ruling = ActionRequest(Action.DECIDE, Role.AGENT, "agent-1", outcome=Outcome.REJECT, rationale="订单已全额退款")
    assert await handle.execute_update(CaseWorkflow.act, ruling) == CaseStatus.REJECTED
    assert await handle.result() == CaseStatus.REJECTED
    assert (await stored(sessions, second.case_id)).status == CaseStatus.REJECTED
