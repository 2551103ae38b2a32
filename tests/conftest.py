"""Session-wide fixtures: Temporal servers, the test database URL and an S3-compatible server.

One event loop serves the whole session (see pyproject), so these session fixtures are shared by every test.
Outside development the service wants its checkpoint keys: the tests' own are set for every Settings and every
process the tests start, unless the environment names some.
"""

import base64
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from models.db import create_engine, session_factory
from temporal_options import TemporalTarget
from tests.support.db import migrate, reset_database
from tests.support.every_packet import packets_that_do_not_recheck
from tests.support.s3_server import s3_server
from tests.support.temporal import NAMESPACE, running_dev_server, start_time_skipping_env
from worker import connect
from workflows.callers import DEV_CALLER_KEYS

# Settings outside development need the caller keys; the tests' API, workers and subprocesses share development's.
os.environ.setdefault("AFTERSALES_CALLER_KEYS", DEV_CALLER_KEYS)

TEST_CHECKPOINT_KEYS = "test:" + base64.b64encode(b"aftersales-test-checkpoint-key-32-bytes-or-more").decode()
os.environ.setdefault("AFTERSALES_CHECKPOINT_KEYS", TEST_CHECKPOINT_KEYS)


@pytest_asyncio.fixture(scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """Time-skipping test server; `time_skipping_env.client` uses the service's data converter."""
    env = await start_time_skipping_env()
    try:
        yield env
    finally:
        await env.shutdown()


@pytest_asyncio.fixture(scope="session")
async def dev_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """Address (host:port) of a real Temporal dev server with the case search attributes, for e2e tests."""
    async with running_dev_server(tmp_path_factory.mktemp("temporal")) as address:
        yield address


@pytest_asyncio.fixture(scope="session")
async def dev_client(dev_server: str) -> Client:
    """A client of `dev_server` with the pydantic converter."""
    return await connect(TemporalTarget(dev_server, NAMESPACE))


@pytest_asyncio.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """What the service connects with: AFTERSALES_TEST_DATABASE_URL (emptied first, by its owner) or a fresh SQLite
    file. Migrations are applied elsewhere, as the owner (`owner_url`)."""
    url = os.environ.get("AFTERSALES_TEST_DATABASE_URL") or _sqlite_url(tmp_path_factory.mktemp("db"))
    await reset_database(os.environ.get("AFTERSALES_TEST_OWNER_DATABASE_URL") or url)
    return url


@pytest_asyncio.fixture(scope="session")
async def owner_url(database_url: str) -> str:
    """The schema owner's URL (AFTERSALES_TEST_OWNER_DATABASE_URL): migrations, and tampering as one who owns the
    database would. The same as `database_url` where no separate service role is set up (SQLite)."""
    return os.environ.get("AFTERSALES_TEST_OWNER_DATABASE_URL") or database_url


@pytest_asyncio.fixture(scope="session")
async def owner_sessions(
    owner_url: str, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions as the schema's owner, on the database `sessions` migrated."""
    engine = create_engine(owner_url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The endpoint URL of an S3-compatible server (moto) on a loopback port, for evidence kept in S3."""
    with s3_server() as endpoint:
        yield endpoint


def _sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'test.db'}"


@pytest_asyncio.fixture(scope="session")
async def sessions(database_url: str, owner_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the migrated test database, as the service connects."""
    await migrate(owner_url, database_url)
    engine = create_engine(database_url)
    made = session_factory(engine)
    yield made
    try:
        checked, failures = await packets_that_do_not_recheck(made)
        assert not failures, f"{len(failures)} of {checked} decisions made in this session do not re-derive: {failures}"
        print(f"\n{checked} decision packets of this session re-derived")
    finally:
        await engine.dispose()
