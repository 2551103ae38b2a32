"""When a party may act: a command sent while the case's opening is still being stored waits for it (a case is
listed as soon as its row exists), and a buyer withdraws only while nothing irreversible has happened."""

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from rulebook.enums import Action, CaseStatus, Role
from tests.builders import add_case, add_order
from tests.workflows.support import event_types, merchant, start, start_opening, stored
from tests.workflows.test_shipment_steps import in_transit
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest

Sessions = async_sessionmaker[AsyncSession]


async def test_a_command_sent_while_the_case_opens_waits_for_the_opening(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    handle = await start_opening(time_skipping_env.client, task_queue, case)

    said = ActionRequest(Action.MESSAGE, Role.MERCHANT, case.shop_id, message="已收到,正在核实")
    assert await handle.execute_update(CaseWorkflow.act, said) == CaseStatus.AWAITING_MERCHANT

    assert (await event_types(sessions, case.case_id))[:2] == ["case_opened", "message"]
    assert (await stored(sessions, case.case_id)).event_count == 2
    await handle.terminate(reason="test over")  # left waiting, it would step in through later time skips


async def test_a_buyer_cannot_withdraw_once_the_parcel_is_intercepted(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    handle, case, _ = await in_transit(time_skipping_env, task_queue, sessions)
    intercepted = await handle.execute_update(CaseWorkflow.act, merchant(case, Action.INTERCEPT, note="拦截"))
    assert intercepted == CaseStatus.RETURN_IN_TRANSIT

    withdraw = ActionRequest(Action.WITHDRAW, Role.BUYER, case.buyer_id, reason="不想要了")
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(CaseWorkflow.act, withdraw)
    assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == "invalid_state"
    assert (await stored(sessions, case.case_id)).status == CaseStatus.RETURN_IN_TRANSIT
    await handle.terminate(reason="test over")


async def test_a_buyer_cannot_withdraw_once_money_moved(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    """A full refund capped by the ledger: some money moved, the case waits on an agent, and stays."""
    order = await add_order(sessions)
    other = await add_case(sessions, order, amount_cents=5000, held_open=False)
    case = await add_case(sessions, order)
    first = await start(time_skipping_env, task_queue, other)
    handle = await start(time_skipping_env, task_queue, case)
    assert await first.execute_update(CaseWorkflow.act, merchant(other, Action.APPROVE)) == CaseStatus.RESOLVED
    assert await handle.execute_update(CaseWorkflow.act, merchant(case, Action.APPROVE)) == CaseStatus.IN_ARBITRATION

    withdraw = ActionRequest(Action.WITHDRAW, Role.BUYER, case.buyer_id, reason="算了")
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(CaseWorkflow.act, withdraw)
    assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == "invalid_state"
    await handle.terminate(reason="test over")
