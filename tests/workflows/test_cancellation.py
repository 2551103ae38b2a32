"""A cancel request from the Temporal UI closes the case `cancelled`: nothing is left open behind a closed workflow."""

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from models.notification import Notification
from models.timeline import CaseEvent, verify_chain
from rulebook.enums import Action, CaseStatus, Party
from tests.builders import add_case, add_order
from tests.support.polling import eventually
from tests.workflows.support import event_types, events_of, merchant, start, stored
from workflows.agent_desk import Cancellation
from workflows.case import CaseWorkflow

Sessions = async_sessionmaker[AsyncSession]


async def test_a_cancel_request_closes_the_case_cancelled_says_who_and_why_and_frees_the_order(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    handle = await start(time_skipping_env, task_queue, case)

    await handle.cancel(reason="买家来电要求撤销")

    assert await handle.result() == CaseStatus.CANCELLED  # completed, not CANCELED: the case closed itself
    row = await stored(sessions, case.case_id)
    assert (row.status, row.awaiting, row.deadline, row.open_key) == (CaseStatus.CANCELLED, None, None, None)
    assert await event_types(sessions, case.case_id) == ["case_opened", "case_cancelled"]
    async with sessions() as session:
        events = list(
            (
                await session.exec(
                    select(CaseEvent).where(CaseEvent.case_id == case.case_id).order_by(col(CaseEvent.seq))
                )
            ).all()
        )
        told = (
            await session.exec(
                select(Notification).where(Notification.case_id == case.case_id, Notification.event_seq == 2)
            )
        ).all()
    assert events[-1].data["reason"] == "买家来电要求撤销" and events[-1].data["by"]
    assert events[-1].actor_id == events[-1].data["by"]
    assert verify_chain(events, row.head_hash, row.event_count).valid
    assert {n.recipient_role for n in told} == {Party.BUYER, Party.MERCHANT}
    assert all("买家来电要求撤销" in n.text_zh for n in told)


async def test_a_cancel_request_after_the_case_closed_changes_nothing(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    handle = await start(time_skipping_env, task_queue, case)
    await handle.execute_update(CaseWorkflow.act, merchant(case, Action.APPROVE))
    assert await handle.result() == CaseStatus.RESOLVED

    row = await stored(sessions, case.case_id)
    assert row.status == CaseStatus.RESOLVED
    assert "case_cancelled" not in await event_types(sessions, case.case_id)


async def test_an_agent_cancels_with_who_and_why_and_the_workflow_completes(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    handle = await start(time_skipping_env, task_queue, case)

    said = Cancellation(agent_id="agent-7", reason="买家来电撤销申请,双方同意")
    assert await handle.execute_update(CaseWorkflow.cancel, said) == CaseStatus.CANCELLED

    assert await handle.result() == CaseStatus.CANCELLED
    row = await stored(sessions, case.case_id)
    assert (row.status, row.awaiting, row.open_key) == (CaseStatus.CANCELLED, None, None)
    (cancelled,) = await events_of(sessions, case.case_id, "case_cancelled")
    assert cancelled.actor_id == "agent-7"
    assert cancelled.data == {"by": "agent-7", "reason": "买家来电撤销申请,双方同意", "via": "cancel_update"}


async def test_a_cancel_without_a_reason_or_on_a_closed_case_is_refused_in_one_sentence(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions, shipped=False, delivered=False))
    handle = await start(time_skipping_env, task_queue, case)  # refunded at once: closed, the override window open
    await eventually(lambda: stored(sessions, case.case_id), lambda c: c.status == CaseStatus.RESOLVED)

    with pytest.raises(WorkflowUpdateFailedError) as no_reason:
        await handle.execute_update(CaseWorkflow.cancel, Cancellation(agent_id="agent-7", reason="  "))
    with pytest.raises(WorkflowUpdateFailedError) as closed:
        await handle.execute_update(CaseWorkflow.cancel, Cancellation(agent_id="agent-7", reason="重复申请"))

    for refused, kind in ((no_reason, "invalid_state"), (closed, "invalid_state")):
        cause = refused.value.cause
        assert isinstance(cause, ApplicationError) and cause.type == kind
        assert "\n" not in cause.message
    assert "case_cancelled" not in await event_types(sessions, case.case_id)
    assert (await stored(sessions, case.case_id)).status == CaseStatus.RESOLVED


async def test_a_cancel_naming_nobody_or_no_reason_is_refused(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    handle = await start(time_skipping_env, task_queue, case)

    for said in (Cancellation(agent_id="agent-7", reason=" "), Cancellation(agent_id="", reason="重复申请")):
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(CaseWorkflow.cancel, said)
        cause = refused.value.cause
        assert isinstance(cause, ApplicationError) and cause.type == "invalid_request"
    assert (await stored(sessions, case.case_id)).status == CaseStatus.AWAITING_MERCHANT
