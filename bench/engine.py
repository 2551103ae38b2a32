"""The bare engine: its worker (`python -m bench.engine ADDRESS`, started by `bench.common.running_stack`) and the
client calls the benchmarks time against it."""

import asyncio
import sys

from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from bench.bare_workflow import BareWorkflow

TASK_QUEUE = "bench-bare"


async def start_waiting(client: Client, workflow_id: str, until: float) -> None:
    """Starts a bare workflow and returns once it waits on its timer: one update-with-start, as a case's opening."""
    start = WithStartWorkflowOperation(
        BareWorkflow.run,
        until,
        id=workflow_id,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        task_queue=TASK_QUEUE,
    )
    await client.execute_update_with_start_workflow(BareWorkflow.waiting, start_workflow_operation=start)


async def poke(client: Client, workflow_id: str) -> None:
    await client.get_workflow_handle_for(BareWorkflow.run, workflow_id).execute_update(BareWorkflow.poke)


async def fired_at(client: Client, workflow_id: str) -> float:
    """The workflow's clock when its timer fired (its result)."""
    return await client.get_workflow_handle_for(BareWorkflow.run, workflow_id).result()


async def serve(address: str) -> None:
    """The worker, with the SDK's defaults as the service's worker has them (sandbox, cache, pollers)."""
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    await Worker(client, task_queue=TASK_QUEUE, workflows=[BareWorkflow]).run()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1]))
