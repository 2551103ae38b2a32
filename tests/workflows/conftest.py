"""A real database and a real worker on the time-skipping server, for the case workflow."""

import uuid
from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import WorkflowEnvironment

from activities.adapters.courier import FakeCourier
from activities.adapters.fulfilment import FakeFulfilment
from activities.adapters.payments import FakePaymentProvider
from worker import build_worker


@pytest_asyncio.fixture(scope="session")
async def payments() -> FakePaymentProvider:
    """Shared by every test's cases: look calls up by the case's business keys."""
    return FakePaymentProvider()


@pytest_asyncio.fixture(scope="session")
async def fulfilment() -> FakeFulfilment:
    """Shared like `payments`: look calls up by the case's business keys."""
    return FakeFulfilment()


@pytest_asyncio.fixture(scope="session")
async def courier() -> FakeCourier:
    return FakeCourier()


@pytest_asyncio.fixture(scope="session")
async def task_queue(
    time_skipping_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    payments: FakePaymentProvider,
    fulfilment: FakeFulfilment,
    courier: FakeCourier,
) -> AsyncIterator[str]:
    """One worker with every workflow and activity for the session, so no case is left without one."""
    queue = f"cases-{uuid.uuid4().hex[:8]}"
    worker = build_worker(time_skipping_env.client, sessions, payments, queue, fulfilment=fulfilment, courier=courier)
    async with worker:
        yield queue
