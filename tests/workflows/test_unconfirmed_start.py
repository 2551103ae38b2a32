"""An opening whose update timed out after its workflow started: the case row must stay (benchmark 5 found rows
deleted under load while their workflows ran on, a workflow with no case)."""

import uuid

from temporalio.client import WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.testing import WorkflowEnvironment

from api.case_workflow import _started
from tests.builders import add_case, add_order
from tests.workflows.support import Sessions, start
from workflows.case import CaseWorkflow


async def test_a_workflow_that_started_unconfirmed_counts_as_started_and_one_that_did_not_does_not(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    handle = await start(time_skipping_env, task_queue, case)
    # An operation that was never answered: its handle never resolves, as when the update timed out.
    unanswered = WithStartWorkflowOperation(
        CaseWorkflow.run, case, id=handle.id, id_conflict_policy=WorkflowIDConflictPolicy.FAIL, task_queue=task_queue
    )
    never = f"case-{uuid.uuid4().hex[:16]}"
    unstarted = WithStartWorkflowOperation(
        CaseWorkflow.run, case, id=never, id_conflict_policy=WorkflowIDConflictPolicy.FAIL, task_queue=task_queue
    )

    assert await _started(time_skipping_env.client, unanswered, handle.id)
    assert not await _started(time_skipping_env.client, unstarted, never)
    await handle.terminate("test over")
