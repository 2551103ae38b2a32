"""A case that continues as new numbers its money moves on from where the earlier run stopped: a refund the provider
refused before the hand-over is never answered again under the same business key."""

import dataclasses

from sqlmodel import col, select
from temporalio.testing import WorkflowEnvironment

from activities.adapters.payments import FakePaymentProvider
from models.timeline import CaseEvent, verify_chain
from rulebook.enums import Action, CaseStatus, Outcome, Role
from tests.builders import add_case, add_order
from tests.workflows.support import Sessions, ledger, merchant, start, stored
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest

LIMIT = 60


async def test_money_moved_after_the_hand_over_takes_the_next_business_key(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, payments: FakePaymentProvider
) -> None:
    case = dataclasses.replace(await add_case(sessions, await add_order(sessions)), history_events_limit=LIMIT)
    payments.refuse.add(f"case-{case.case_id}:refund:1")
    handle = await start(time_skipping_env, task_queue, case)
    assert await handle.execute_update(CaseWorkflow.act, merchant(case, Action.APPROVE)) == CaseStatus.IN_ARBITRATION
    first_run = (await handle.describe()).run_id

    said = ActionRequest(Action.MESSAGE, Role.BUYER, case.buyer_id, message="还没退款?")
    for _ in range(10):
        await handle.execute_update(CaseWorkflow.act, said)
    assert (await handle.describe()).run_id != first_run
    ruling = ActionRequest(Action.DECIDE, Role.AGENT, "agent-1", outcome=Outcome.REFUND, rationale="线下核实")
    assert await handle.execute_update(CaseWorkflow.act, ruling) == CaseStatus.RESOLVED

    moves = [(m.business_key, m.status) for m in await ledger(sessions, case.case_id)]
    assert sorted(moves) == [
        (f"case-{case.case_id}:refund:1", "failed"),
        (f"case-{case.case_id}:refund:2", "succeeded"),
    ]
    assert payments.calls.count(f"case-{case.case_id}:refund:2") == 1
    anchor = await handle.query(CaseWorkflow.chain)  # the closed case's last run answers with the whole timeline
    row = await stored(sessions, case.case_id)
    async with sessions() as session:
        query = select(CaseEvent).where(CaseEvent.case_id == case.case_id).order_by(col(CaseEvent.seq))
        events = list((await session.exec(query)).all())
    assert anchor.complete and verify_chain(events, row.head_hash, row.event_count, anchor.hashes).valid
