"""The Temporal servers used by dev and tests know the case search attributes."""

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from temporalio import workflow
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from devtools.temporal_server import temporal_binary
from workflows import search_attributes

UNSANDBOXED = UnsandboxedWorkflowRunner()
SAMPLE_VALUES: dict[type, Any] = {
    str: "resolved",
    datetime: datetime(2030, 1, 1, tzinfo=UTC),
    bool: True,
    int: 3,
    Sequence: ["R-TIMEOUT", "R-SMALL"],
}


@workflow.defn(name="SearchAttributeProbe")
class SearchAttributeProbe:
    @workflow.run
    async def run(self) -> None:
        return None


async def run_probe(env: WorkflowEnvironment, keys: tuple[SearchAttributeKey[Any], ...]) -> WorkflowHandle[Any, Any]:
    """Run a workflow carrying `keys` to completion: the server refuses search attributes it does not know.

    It must complete: on the time-skipping server a workflow task nobody polls would block time skipping for every
    later test of the session (terminating it does not help). Time skipping stays off so the shared clock is untouched.
    """
    client = env.client
    pairs = [SearchAttributePair(key, SAMPLE_VALUES[key.origin_value_type]) for key in keys]
    task_queue = f"probe-{uuid.uuid4()}"
    # A do-nothing workflow defined in a test module: the sandbox would re-import pytest for nothing.
    worker = Worker(client, task_queue=task_queue, workflows=[SearchAttributeProbe], workflow_runner=UNSANDBOXED)
    with env.auto_time_skipping_disabled():
        async with worker:
            handle = await client.start_workflow(
                SearchAttributeProbe.run,
                id=task_queue,
                task_queue=task_queue,
                search_attributes=TypedSearchAttributes(pairs),
            )
            await handle.result()
            return handle


async def test_time_skipping_server_knows_every_case_search_attribute(time_skipping_env: WorkflowEnvironment) -> None:
    # The test server does not implement ListSearchAttributes, so registration is proven by use.
    handle = await run_probe(time_skipping_env, search_attributes.ALL)
    described = await handle.describe()
    assert len(search_attributes.ALL) == 15
    for key in search_attributes.ALL:
        assert described.typed_search_attributes.get(key) == SAMPLE_VALUES[key.origin_value_type]


async def test_time_skipping_server_refuses_unknown_search_attributes(time_skipping_env: WorkflowEnvironment) -> None:
    with pytest.raises(RPCError, match="not defined"):
        await run_probe(time_skipping_env, (SearchAttributeKey.for_keyword("NotACaseAttribute"),))


@pytest.mark.e2e
async def test_dev_server_has_case_search_attributes(dev_server: str, dev_client: Client) -> None:
    listed = await dev_client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace="default"))
    expected = {key.name: key.indexed_value_type.value for key in search_attributes.ALL}
    assert {name: listed.custom_attributes.get(name) for name in expected} == expected


@pytest.mark.e2e
async def test_cli_can_query_cases_by_status(dev_server: str) -> None:
    query = f"{search_attributes.CASE_STATUS.name}='resolved'"
    process = await asyncio.create_subprocess_exec(
        str(temporal_binary()),
        *("workflow", "list", "--address", dev_server, "--query", query),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
