"""The API in-process over httpx, on the real test database, the time-skipping Temporal server and a real worker.

Evidence is kept in a local folder; tests marked `@both_stores` run again on an app that keeps it in S3 (moto's
server on a loopback port), served by the same worker and database.
"""

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
from tests.api.evidence_helpers import Storage
from tests.api.helpers import EVIDENCE_MAX_BYTES, METRICS_TOKEN, SECRET
from tests.support.db import migrate
from tests.support.s3_server import create_bucket, s3_client, s3_settings
from tests.support.stored_files import BucketFiles, FolderFiles
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
        metrics_token=METRICS_TOKEN,
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
    worker = build_worker(
        time_skipping_env.client,
        db,
        FakePaymentProvider(),
        api_settings.task_queue,
        checkpoint_keys=api_settings.checkpoint_keyring(),
    )
    async with worker, application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
def local_storage(app: FastAPI, api_settings: Settings) -> Storage:
    return Storage(app, FolderFiles(api_settings.evidence_dir))


@pytest_asyncio.fixture(scope="session")
async def s3_storage(app: FastAPI, api_settings: Settings, s3_endpoint: str) -> AsyncIterator[Storage]:
    """The app again, with evidence in a bucket of the loopback S3; `app`'s worker serves its cases."""
    bucket = f"evidence-{uuid.uuid4().hex[:12]}"
    settings = s3_settings(api_settings, s3_endpoint, bucket)
    application = create_app(settings, temporal_client=app.state.services.temporal)
    async with s3_client(s3_endpoint) as client:
        await create_bucket(client, bucket)
        async with application.router.lifespan_context(application):
            yield Storage(application, BucketFiles(client, bucket, settings.evidence_s3_prefix))


@pytest.fixture
def storage(request: pytest.FixtureRequest) -> Storage:
    """The local folder, or whichever store `@both_stores` names."""
    found: Storage = request.getfixturevalue(f"{getattr(request, 'param', 'local')}_storage")
    return found


@pytest_asyncio.fixture(scope="session")
async def session_loop() -> asyncio.AbstractEventLoop:
    """The session's event loop, for synchronous state machines that run each step on it."""
    return asyncio.get_running_loop()


@pytest_asyncio.fixture
async def client(storage: Storage) -> AsyncIterator[AsyncClient]:
    transport = ASGITransport(app=storage.app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
