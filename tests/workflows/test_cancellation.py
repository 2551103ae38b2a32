"""A cancel request from the Temporal UI closes the case `cancelled`: nothing is left open behind a closed workflow."""

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import WorkflowEnvironment

from models.notification import Notification
from models.timeline import CaseEvent, verify_chain
from rulebook.enums import Action, CaseStatus, Party
from tests.builders import add_case, add_order
from tests.workflows.support import event_types, merchant, start, stored
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
