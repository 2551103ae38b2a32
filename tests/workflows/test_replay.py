"""Cases already running must still replay on the current code (a non-deterministic change fails here)."""

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.workflow import NondeterminismError

from tests.workflows.incompatible_case import CaseWorkflowThatWaitsFirst
from worker import RESTRICTIONS
from workflows.callers import CallerCheck
from workflows.case import CaseWorkflow
from workflows.payloads import data_converter

FOLDER = Path(__file__).parent / "histories"
HISTORIES = {str(path.relative_to(FOLDER).with_suffix("")): path.read_text() for path in sorted(FOLDER.rglob("*.json"))}


def test_there_are_histories_to_replay() -> None:
    assert len(HISTORIES) >= 4


@pytest.mark.parametrize("name", sorted(HISTORIES))
async def test_recorded_case_histories_replay_on_the_current_code(name: str) -> None:
    history = WorkflowHistory.from_json(f"case-{name.replace('/', '-')}", HISTORIES[name])
    replayer = Replayer(
        workflows=[CaseWorkflow],
        data_converter=data_converter,
        interceptors=[CallerCheck()],
        workflow_runner=SandboxedWorkflowRunner(restrictions=RESTRICTIONS),  # as the worker runs it
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


async def test_an_incompatible_change_fails_the_replay() -> None:
    """WF-10's other half: the replay test above can fail, so its passing means something."""
    name = "refunded_on_the_order_ledger"
    history = WorkflowHistory.from_json(f"case-{name}", HISTORIES[name])
    replayer = Replayer(
        workflows=[CaseWorkflowThatWaitsFirst],
        data_converter=data_converter,
        interceptors=[CallerCheck()],
        workflow_runner=SandboxedWorkflowRunner(restrictions=RESTRICTIONS),
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert isinstance(result.replay_failure, NondeterminismError), result.replay_failure
