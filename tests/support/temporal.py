"""Temporal servers for tests: the time-skipping test server and a real dev server, both from the venv's binaries."""

from temporalio.testing import WorkflowEnvironment

from api.caller_header import CallerHeader
from devtools import temporal_server
from devtools.stack import free_port, running_dev_server
from workflows.payloads import data_converter

NAMESPACE = "default"
__all__ = ["NAMESPACE", "free_port", "running_dev_server", "start_time_skipping_env"]


async def start_time_skipping_env() -> WorkflowEnvironment:
    """The Java time-skipping test server with the service's converter and the case search attributes registered."""
    header = CallerHeader()  # development's keys, as the tests' workers check
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter,
        interceptors=[header],
        test_server_existing_path=str(temporal_server.test_server_binary()),
    )
    header.clock = env.get_current_time  # headers are as old as the skipped clock says, as the workflow sees them
    try:
        await temporal_server.register_search_attributes(env.client, NAMESPACE)
    except BaseException:
        await env.shutdown()
        raise
    return env
