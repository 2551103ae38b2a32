"""The worker: every workflow and activity of the service on one task queue. `python worker.py` runs it."""

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.facts import FactsActivities
from activities.payments import FakePaymentProvider, MoneyActivities, PaymentProvider
from activities.recording import CaseRecorder
from models.db import create_engine, session_factory
from settings import get_settings
from workflows.case import CaseWorkflow

WORKFLOWS = [CaseWorkflow]
# Pure, deterministic modules are loaded once rather than re-imported into every workflow's sandbox.
RESTRICTIONS = SandboxRestrictions.default.with_passthrough_modules("rulebook", "workflows.messages")


def build_worker(
    client: Client,
    sessions: async_sessionmaker[AsyncSession],
    provider: PaymentProvider,
    task_queue: str,
    sticky_timeout: timedelta = timedelta(seconds=10),
) -> Worker:
    activities: list[Callable[..., Any]] = [
        CaseRecorder(sessions).record_step,
        FactsActivities(sessions).load_case_facts,
        MoneyActivities(sessions, provider).move_money,
    ]
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=activities,
        workflow_runner=SandboxedWorkflowRunner(restrictions=RESTRICTIONS),
        sticky_queue_schedule_to_start_timeout=sticky_timeout,
    )


async def connect(address: str, namespace: str) -> Client:
    return await Client.connect(address, namespace=namespace, data_converter=pydantic_data_converter)


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    settings = get_settings()
    engine = create_engine(settings.database_url)
    client = await connect(settings.temporal_address, settings.temporal_namespace)
    sessions = session_factory(engine)
    worker = build_worker(client, sessions, FakePaymentProvider(), settings.task_queue, settings.worker_sticky_timeout)
    logging.info("worker on task queue %r at %s", settings.task_queue, settings.temporal_address)
    try:
        await worker.run()
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
