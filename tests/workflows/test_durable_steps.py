"""Each step is stored by a regular activity (`steps-recorded-durably`): its seq and events are fixed in the history
before anything is written, so a workflow task that fails to complete leaves no events behind (AUDIT-05 over the
live service: tests/e2e/test_concurrent_appends.py)."""

import asyncio
from collections import Counter

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import WorkflowEnvironment

from models.timeline import CaseEvent, verify_chain
from rulebook.enums import Action, Role
from tests.builders import add_case, add_order
from tests.workflows.support import start, stored
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest

Sessions = async_sessionmaker[AsyncSession]
MESSAGES = 8


async def test_messages_at_once_are_each_stored_once_by_a_scheduled_activity_and_anchored(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    handle = await start(time_skipping_env, task_queue, case)
    said = [ActionRequest(Action.MESSAGE, Role.BUYER, case.buyer_id, message=f"第{n}条") for n in range(MESSAGES)]
    try:
        await asyncio.gather(*(handle.execute_update(CaseWorkflow.act, request) for request in said))
        anchor = await handle.query(CaseWorkflow.chain)
        history = await handle.fetch_history()
    finally:
        await handle.terminate("test over")

    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    assert scheduled.count("record_step") == 1 + MESSAGES  # the opening, then one step per message
    async with sessions() as session:
        query = select(CaseEvent).where(CaseEvent.case_id == case.case_id).order_by(col(CaseEvent.seq))
        events = list((await session.exec(query)).all())
    row = await stored(sessions, case.case_id)
    texts = Counter(e.data.get("text") for e in events if e.type == "message")
    assert texts == Counter(f"第{n}条" for n in range(MESSAGES))
    assert anchor.complete and anchor.hashes == tuple(e.hash for e in events)
    assert verify_chain(events, row.head_hash, row.event_count, anchor.hashes).valid
