"""The whole service as a user runs it: a real Temporal dev server, the worker and the API as processes, real HTTP."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from devtools.stack import RunningService, free_port, running_service
from tests.support.db import migrate
from tests.support.payment_server import PaymentServer, running_payment_server
from tests.support.remedy_servers import (
    CourierServer,
    FulfilmentServer,
    running_courier_server,
    running_fulfilment_server,
)
from tests.support.s3_server import KEY_ID, REGION, SECRET, create_bucket, s3_client

T_MERCHANT_SECONDS = 4
JWT_SECRET = "e2e-secret-of-at-least-thirty-two-bytes"
PAYMENTS_API_KEY = "e2e-payments-key"
METRICS_TOKEN = "e2e-metrics-token"


@dataclass(frozen=True)
class Service:
    base_url: str
    temporal_address: str
    processes: RunningService
    payments: PaymentServer
    fulfilment: FulfilmentServer
    courier: CourierServer
    evidence_bucket: str  # the service keeps evidence in this bucket of `s3_endpoint`, under `evidence/`


def service_env(
    database_url: str, directory: Path, payments_url: str, fulfilment_url: str, courier_url: str, **more: str
) -> dict[str, str]:
    """What the e2e tests run the service with (on its own task queue, with evidence in `directory`), and `more`."""
    return {
        "AFTERSALES_ENV": "test",
        "AFTERSALES_JWT_SECRET": JWT_SECRET,
        "AFTERSALES_DATABASE_URL": database_url,
        "AFTERSALES_TASK_QUEUE": f"e2e-{uuid.uuid4().hex[:8]}",
        "AFTERSALES_T_MERCHANT": f"{T_MERCHANT_SECONDS}s",
        "AFTERSALES_WORKER_STICKY_TIMEOUT": "1s",
        "AFTERSALES_EVIDENCE_DIR": str(directory / "evidence"),
        "AFTERSALES_PAYMENTS": "http",
        "AFTERSALES_PAYMENTS_URL": payments_url,
        "AFTERSALES_PAYMENTS_API_KEY": PAYMENTS_API_KEY,
        "AFTERSALES_FULFILMENT": "http",
        "AFTERSALES_FULFILMENT_URL": fulfilment_url,
        "AFTERSALES_COURIER": "http",
        "AFTERSALES_COURIER_URL": courier_url,
        "AFTERSALES_METRICS_TOKEN": METRICS_TOKEN,
        **more,
    }


@pytest_asyncio.fixture(scope="session")
async def payment_server() -> AsyncIterator[PaymentServer]:
    """The payment provider the worker pays through, over real HTTP."""
    async with running_payment_server(PAYMENTS_API_KEY) as server:
        yield server


@pytest_asyncio.fixture(scope="session")
async def fulfilment_server() -> AsyncIterator[FulfilmentServer]:
    """The warehouses that cancel, reship and move stock, over real HTTP."""
    async with running_fulfilment_server() as server:
        yield server


@pytest_asyncio.fixture(scope="session")
async def courier_server() -> AsyncIterator[CourierServer]:
    """The courier that intercepts, urges and keeps delivery records, over real HTTP."""
    async with running_courier_server() as server:
        yield server


def service_settings(
    directory: Path,
    *,
    database_url: str,
    temporal_address: str,
    payments: PaymentServer,
    fulfilment: FulfilmentServer,
    courier: CourierServer,
) -> dict[str, str]:
    """The environment of the worker and the API: the loopback outside systems, a task queue of their own."""
    return service_env(
        database_url, directory, payments.url, fulfilment.url, courier.url, AFTERSALES_TEMPORAL_ADDRESS=temporal_address
    )


@pytest_asyncio.fixture(scope="session")
async def service(
    dev_server: str,
    database_url: str,
    owner_url: str,
    payment_server: PaymentServer,
    fulfilment_server: FulfilmentServer,
    courier_server: CourierServer,
    s3_endpoint: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Service]:
    directory = tmp_path_factory.mktemp("e2e")
    await migrate(owner_url, database_url)
    bucket = f"evidence-{uuid.uuid4().hex[:12]}"
    async with s3_client(s3_endpoint) as client:
        await create_bucket(client, bucket)
    settings = service_settings(
        directory,
        database_url=database_url,
        temporal_address=dev_server,
        payments=payment_server,
        fulfilment=fulfilment_server,
        courier=courier_server,
    )
    settings |= {
        "AFTERSALES_EVIDENCE_STORE": "s3",  # as production runs several API processes
        "AFTERSALES_EVIDENCE_S3_BUCKET": bucket,
        "AFTERSALES_EVIDENCE_S3_PREFIX": "evidence",
        "AFTERSALES_EVIDENCE_S3_ENDPOINT_URL": s3_endpoint,
        "AFTERSALES_EVIDENCE_S3_REGION": REGION,
        "AFTERSALES_EVIDENCE_S3_ACCESS_KEY_ID": KEY_ID,
        "AFTERSALES_EVIDENCE_S3_SECRET_ACCESS_KEY": SECRET,
        "AFTERSALES_WORKER_METRICS_ADDRESS": f"127.0.0.1:{free_port()}",
    }
    async with running_service(directory, settings) as running:
        yield Service(running.base_url, dev_server, running, payment_server, fulfilment_server, courier_server, bucket)


@pytest_asyncio.fixture(scope="session")
async def patient_service(
    dev_server: str,
    database_url: str,
    owner_url: str,
    payment_server: PaymentServer,
    fulfilment_server: FulfilmentServer,
    courier_server: CourierServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[RunningService]:
    """The service again, with merchants given an hour: for tests that fire many requests at one case and must find
    it still waiting on the merchant when they are done (`service` lets its deadline run out in seconds); and the
    worker's sticky timeout at its production default, as those tests measure the service, not a recovery."""
    directory = tmp_path_factory.mktemp("e2e-patient")
    await migrate(owner_url, database_url)
    settings = service_settings(
        directory,
        database_url=database_url,
        temporal_address=dev_server,
        payments=payment_server,
        fulfilment=fulfilment_server,
        courier=courier_server,
    )
    patient = {**settings, "AFTERSALES_T_MERCHANT": "1h", "AFTERSALES_WORKER_STICKY_TIMEOUT": "10s"}
    async with running_service(directory, patient) as running:
        yield running
