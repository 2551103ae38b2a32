"""A service of the tests' own for what the processes tell operators: its own task queue, worker and client."""

import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from settings import Settings
from tests.api.helpers import SECRET


@pytest_asyncio.fixture
async def settings(
    database_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """Settings on the migrated test database (`sessions`) with a task queue of the test's own."""
    return Settings(
        env="test",
        jwt_secret=SECRET,
        database_url=database_url,
        task_queue=f"telemetry-{uuid.uuid4().hex[:8]}",
        evidence_dir=tmp_path_factory.mktemp("evidence"),
    )


@pytest.fixture
def target(time_skipping_env: WorkflowEnvironment) -> str:
    return time_skipping_env.client.service_client.config.target_host


@contextlib.asynccontextmanager
async def serving(app: FastAPI, worker: Worker, temporal: Client) -> AsyncIterator[AsyncClient]:
    """The app over httpx with its lifespan, and the worker; every case opened meanwhile is ended after."""
    opened: list[str] = []

    async def note_case(response: Response) -> None:
        if response.request.method == "POST" and response.request.url.path == "/cases" and response.status_code == 201:
            await response.aread()
            opened.append(response.json()["workflow_id"])

    transport = ASGITransport(app=app, raise_app_exceptions=False)
    hooks = {"response": [note_case]}
    async with (
        worker,
        app.router.lifespan_context(app),
        AsyncClient(transport=transport, base_url="http://test", event_hooks=hooks) as http,
    ):
        try:
            yield http
        finally:
            for workflow_id in opened:
                with contextlib.suppress(RPCError):
                    await temporal.get_workflow_handle(workflow_id).terminate("test over")
