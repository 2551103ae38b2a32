"""Whatever the Temporal UI sends can never act as a buyer or merchant: the role travels in a header it cannot set."""

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from models.timeline import CaseEvent
from rulebook.enums import Action, CaseStatus, Role
from tests.builders import add_case, add_order
from tests.workflows.support import event_types, start, stored
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest

Sessions = async_sessionmaker[AsyncSession]


def plain_client(env: WorkflowEnvironment) -> Client:
    """What the Temporal UI is to the workflow: a client without the service's caller header."""
    config = env.client.config()
    config["interceptors"] = []
    return Client(**config)


async def test_an_update_without_the_header_claiming_to_be_the_buyer_cannot_withdraw_the_case(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    await start(time_skipping_env, task_queue, case)
    handle = plain_client(time_skipping_env).get_workflow_handle_for(CaseWorkflow.run, f"case-{case.case_id}")

    forged = ActionRequest(Action.WITHDRAW, Role.BUYER, case.buyer_id, reason="不要了")
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(CaseWorkflow.act, forged)

    assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == "forbidden"
    assert (await stored(sessions, case.case_id)).status == CaseStatus.AWAITING_MERCHANT


async def test_an_update_without_the_header_is_recorded_as_an_agents_whatever_role_it_names(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    await start(time_skipping_env, task_queue, case)
    handle = plain_client(time_skipping_env).get_workflow_handle_for(CaseWorkflow.run, f"case-{case.case_id}")

    said = ActionRequest(Action.MESSAGE, Role.MERCHANT, "agent-7", message="请补充开线处的照片")
    await handle.execute_update(CaseWorkflow.act, said)

    async with sessions() as session:
        query = select(CaseEvent).where(CaseEvent.case_id == case.case_id).order_by(col(CaseEvent.seq))
        last = list((await session.exec(query)).all())[-1]
    assert (last.type, last.actor_role, last.actor_id) == ("message", "agent", "agent-7")


async def test_the_services_own_client_still_acts_as_the_buyer(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    handle = await start(time_skipping_env, task_queue, case)  # the fixture's client carries the header

    withdraw = ActionRequest(Action.WITHDRAW, Role.BUYER, case.buyer_id, reason="不要了")
    assert await handle.execute_update(CaseWorkflow.act, withdraw) == CaseStatus.WITHDRAWN


async def test_an_agent_decides_from_the_ui_with_a_typed_update_and_no_internal_fields(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    await start(time_skipping_env, task_queue, case)
    ui = plain_client(time_skipping_env).get_workflow_handle(f"case-{case.case_id}")
    escalate = ActionRequest(Action.ESCALATE, Role.MERCHANT, case.shop_id, reason="买家说法不实")
    await time_skipping_env.client.get_workflow_handle_for(CaseWorkflow.run, f"case-{case.case_id}").execute_update(
        CaseWorkflow.act, escalate
    )

    asked = {"agent_id": "agent-1", "party": "buyer", "what": "开线处的近照"}
    # the case now waits on the buyer (T-BUYER-REPLY), as the API's `request_evidence` does
    assert await ui.execute_update("request_evidence", asked, result_type=CaseStatus) == CaseStatus.AWAITING_BUYER
    ruling = {"agent_id": "agent-1", "outcome": "refund", "rationale": "开线属质量问题"}
    assert await ui.execute_update("decide", ruling, result_type=CaseStatus) == CaseStatus.RESOLVED

    async with sessions() as session:
        query = select(CaseEvent).where(CaseEvent.case_id == case.case_id).order_by(col(CaseEvent.seq))
        events = {e.type: e for e in (await session.exec(query)).all()}
    requested = events["evidence_requested"].data
    assert {k: requested[k] for k in ("party", "from", "what", "timer")} == {
        "party": "buyer",
        "from": "buyer",
        "what": "开线处的近照",
        "timer": "T-BUYER-REPLY",
    }
    decided = events["decision_made"]
    assert (decided.actor_role, decided.actor_id, decided.data["outcome"]) == ("agent", "agent-1", "refund")


async def test_an_evidence_request_from_the_ui_must_name_the_buyer_or_the_merchant(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    await start(time_skipping_env, task_queue, case)
    ui = plain_client(time_skipping_env).get_workflow_handle(f"case-{case.case_id}")

    with pytest.raises(WorkflowUpdateFailedError):
        await ui.execute_update("request_evidence", {"agent_id": "agent-1", "party": "agent", "what": "x"})
    assert (await stored(sessions, case.case_id)).status == CaseStatus.AWAITING_MERCHANT


async def test_an_agent_hands_a_case_to_another_from_the_ui_and_the_queue_can_find_it_by_assignee(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    await start(time_skipping_env, task_queue, case)
    ui = plain_client(time_skipping_env).get_workflow_handle(f"case-{case.case_id}")

    handover = {"agent_id": "agent-1", "to_agent_id": "agent-2", "reason": "交给熟悉服装品类的同事"}
    assert await ui.execute_update("reassign", handover, result_type=CaseStatus) == CaseStatus.AWAITING_MERCHANT
    with pytest.raises(WorkflowUpdateFailedError):
        await ui.execute_update("reassign", {**handover, "reason": " "})

    async with sessions() as session:
        query = select(CaseEvent).where(CaseEvent.case_id == case.case_id, CaseEvent.type == "reassigned")
        (reassigned,) = (await session.exec(query)).all()
    assert reassigned.data == {"from": "agent-1", "to": "agent-2", "reason": "交给熟悉服装品类的同事"}
    assert (reassigned.actor_role, reassigned.actor_id) == ("agent", "agent-1")


async def test_a_tracking_event_or_evidence_sent_without_the_header_is_refused(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    await start(time_skipping_env, task_queue, case)
    ui = plain_client(time_skipping_env).get_workflow_handle(f"case-{case.case_id}")

    fake_parcel = {"tracking_no": "SF-FAKE", "status": "delivered", "at": "2026-11-30T00:00:00Z"}
    fake_file = {"evidence_id": "ev-x", "kind": "photo", "sha256": "0" * 64, "media_type": "image/png"}
    for update, payload in (("tracking", fake_parcel), ("add_evidence", {**fake_file, "size_bytes": 1})):
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await ui.execute_update(update, {**payload, "role": "buyer", "actor_id": case.buyer_id})
        assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == "forbidden"
    assert [e for e in await event_types(sessions, case.case_id)] == ["case_opened"]
