"""The API in-process over httpx, on the real test database, the time-skipping Temporal server and a real worker."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import WorkflowEnvironment

from activities.adapters.payments import FakePaymentProvider
from api.app import create_app
from models.db import create_engine, session_factory
from settings import Settings
from tests.api.helpers import EVIDENCE_MAX_BYTES, SECRET
from tests.support.db import migrate
from worker import build_worker


@pytest_asyncio.fixture(scope="session")
async def api_settings(database_url: str, owner_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    await migrate(owner_url, database_url)
    queue = f"api-{uuid.uuid4().hex[:8]}"
    return Settings(
        env="test",
        jwt_secret=SECRET,
        database_url=database_url,
        task_queue=queue,
        evidence_dir=tmp_path_factory.mktemp("evidence"),
        evidence_max_bytes=EVIDENCE_MAX_BYTES,
    )


@pytest_asyncio.fixture(scope="session")
async def db(api_settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions for the tests' own reads and tampering (the app has its own engine)."""
    engine = create_engine(api_settings.database_url)
    yield session_factory(engine)
    await engine.dispose()


@pytest_asyncio.fixture(scope="session")
async def app(
    api_settings: Settings, time_skipping_env: WorkflowEnvironment, db: async_sessionmaker[AsyncSession]
) -> AsyncIterator[FastAPI]:
    """The app with its lifespan running, and a worker with every workflow and activity on its task queue."""
    application = create_app(api_settings, temporal_client=time_skipping_env.client)
    worker = build_worker(time_skipping_env.client, db, FakePaymentProvider(), api_settings.task_queue)
    async with worker, application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture(scope="session")
async def session_loop() -> asyncio.AbstractEventLoop:
    """The session's event loop, for synchronous state machines that run each step on it."""
    return asyncio.get_running_loop()


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
