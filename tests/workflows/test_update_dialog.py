"""The Temporal UI's update dialog as an agent meets it: every update says whose it is, the agent's updates take
what they say they take, and a refusal is one sentence without a stack trace."""

import typing

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from api.schemas.actions import Decide
from rulebook import commands
from rulebook.enums import CaseStatus
from tests.builders import add_case, add_order
from tests.workflows.support import start, stored
from tests.workflows.test_callers import plain_client

Sessions = async_sessionmaker[AsyncSession]
SERVICE = {"act", "add_evidence", "opened", "tracking"}
AGENT = {"decide", "message", "request_evidence", "reassign", "override", "cancel"}


async def test_the_dialog_lists_every_update_with_a_description_saying_whose_it_is(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    handle = await start(time_skipping_env, task_queue, case)

    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)

    updates = {u.name: u.description for u in metadata.definition.update_definitions}
    assert set(updates) == SERVICE | AGENT
    for name in SERVICE:
        assert updates[name].startswith("SERVICE ONLY — sent by the API"), name
    for name in AGENT:
        assert "agent_id" in updates[name] and "SERVICE" not in updates[name], name
    assert "return_refund" not in updates["decide"]
    assert all(outcome in updates["decide"] for outcome in commands.AGENT_OUTCOMES)


@pytest.mark.parametrize("outcome", ["return_refund", "to_agent"])
async def test_decide_refuses_what_the_rest_decide_refuses(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, outcome: str
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    await start(time_skipping_env, task_queue, case)
    ui = plain_client(time_skipping_env).get_workflow_handle(f"case-{case.case_id}")

    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await ui.execute_update("decide", {"agent_id": "agent-1", "outcome": outcome, "rationale": "试试"})
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "invalid_request"
    assert cause.message.startswith(f"An agent cannot decide {outcome}")
    assert (await stored(sessions, case.case_id)).status == CaseStatus.AWAITING_MERCHANT


async def test_a_refused_update_reaches_the_ui_as_one_sentence_without_a_stack_trace(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    await start(time_skipping_env, task_queue, case)
    ui = plain_client(time_skipping_env).get_workflow_handle(f"case-{case.case_id}")

    with pytest.raises(WorkflowUpdateFailedError) as refused:  # an agent cannot withdraw a buyer's request
        await ui.execute_update("act", {"action": "withdraw", "role": "buyer", "actor_id": "agent-1"})
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "forbidden"
    assert cause.failure is not None
    assert cause.failure.stack_trace == "" and not cause.failure.HasField("cause")
    assert "\n" not in cause.message and cause.message.endswith("case")
    assert cause.message[0].isupper()


def test_the_rest_decide_and_the_dialogs_decide_take_the_same_outcomes() -> None:
    assert set(typing.get_args(Decide.model_fields["outcome"].annotation)) == set(commands.AGENT_OUTCOMES)
