"""Temporal servers for tests: the time-skipping test server and a real dev server, both from the venv's binaries."""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from devtools import temporal_server

NAMESPACE = "default"
STOP_TIMEOUT_SECONDS = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def start_time_skipping_env() -> WorkflowEnvironment:
    """The Java time-skipping test server with the pydantic converter and the case search attributes registered."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=str(temporal_server.test_server_binary()),
    )
    try:
        await temporal_server.register_search_attributes(env.client, NAMESPACE)
    except BaseException:
        await env.shutdown()
        raise
    return env


@contextlib.asynccontextmanager
async def running_dev_server(directory: Path) -> AsyncIterator[str]:
    """A real `temporal server start-dev` (headless, free port, sqlite db in `directory`); yields its address."""
    port = free_port()
    argv = temporal_server.dev_server_argv(port=port, ui_port=None, db_filename=directory / "temporal.db")
    log_path = directory / "temporal.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(*argv, stdout=log, stderr=asyncio.subprocess.STDOUT)
    address = f"127.0.0.1:{port}"
    try:
        await temporal_server.wait_until_ready(address, 60, keep_waiting=lambda: process.returncode is None)
    except (RuntimeError, TimeoutError) as error:
        await _stop(process)
        raise RuntimeError(f"{error}; server log:\n{log_path.read_text(errors='replace')[-4000:]}") from error
    try:
        yield address
    finally:
        await _stop(process)


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()
