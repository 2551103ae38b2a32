"""The worker: every workflow and activity of the service on one task queue. `python worker.py` runs it."""

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.adapters.payments import PaymentProvider
from activities.adapters.selection import FakePaymentsRefused, payment_provider
from activities.facts import FactsActivities
from activities.order_locks import OrderLocks
from activities.payments import MoneyActivities
from activities.recording import CaseRecorder
from activities.scans import ScanActivities
from models.db import create_engine, session_factory
from rulebook.deadlines import DeadlinePolicy
from rulebook.facts import Thresholds
from rulebook.timers import Timers
from settings import Settings, get_settings
from workflows.case import CaseWorkflow
from workflows.messages import ScanRequest
from workflows.scans import SCAN_SCHEDULE_ID, ScanWorkflow

WORKFLOWS = [CaseWorkflow, ScanWorkflow]
# Pure, deterministic modules are loaded once rather than re-imported into every workflow's sandbox.
RESTRICTIONS = SandboxRestrictions.default.with_passthrough_modules("rulebook", "workflows.messages")


def build_worker(
    client: Client,
    sessions: async_sessionmaker[AsyncSession],
    provider: PaymentProvider,
    task_queue: str,
    sticky_timeout: timedelta = timedelta(seconds=10),
    timers: Timers | None = None,
    thresholds: Thresholds | None = None,
    deadlines: DeadlinePolicy | None = None,
) -> Worker:
    """`timers`, `thresholds` and `deadlines` are what the exception scan opens its cases with (the API's come from
    settings)."""
    scans = ScanActivities(sessions, client, task_queue, timers or Timers(), thresholds or Thresholds(), deadlines)
    activities: list[Callable[..., Any]] = [
        CaseRecorder(sessions).record_step,
        FactsActivities(sessions).load_case_facts,
        MoneyActivities(sessions, provider).move_money,
        OrderLocks(sessions).unlock_order,
        scans.scan_stalled_page,
        scans.scan_missed_page,
        scans.restart_unstarted,
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


def scan_schedule(task_queue: str, every: timedelta) -> Schedule:
    """The exception scan every T-MISSED; a run still going when the next is due makes it skip."""
    action = ScheduleActionStartWorkflow(ScanWorkflow.run, ScanRequest(), id=SCAN_SCHEDULE_ID, task_queue=task_queue)
    return Schedule(
        action=action,
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_scan_schedule(client: Client, task_queue: str, every: timedelta) -> None:
    """Creates the scan's schedule, or brings an existing one to the current T-MISSED and task queue; any number
    of workers may run this at start."""
    schedule = scan_schedule(task_queue, every)
    try:
        await client.create_schedule(SCAN_SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:

        def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(SCAN_SCHEDULE_ID).update(replace)


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    settings = get_settings()
    async with payment_provider(settings) as provider:  # first: a worker that cannot pay never starts
        await serve(settings, provider)


async def serve(settings: Settings, provider: PaymentProvider) -> None:
    engine = create_engine(settings.database_url)
    client = await connect(settings.temporal_address, settings.temporal_namespace)
    sessions = session_factory(engine)
    worker = build_worker(
        client,
        sessions,
        provider,
        settings.task_queue,
        settings.worker_sticky_timeout,
        settings.case_timers(),
        settings.case_thresholds(),
        settings.case_deadlines(),
    )
    if settings.scans:
        await ensure_scan_schedule(client, settings.task_queue, settings.t_missed)
    logging.info(
        "worker on task queue %r at %s, payments: %s", settings.task_queue, settings.temporal_address, settings.payments
    )
    try:
        await worker.run()
    finally:
        await engine.dispose()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except FakePaymentsRefused as refused:
        raise SystemExit(f"worker: {refused}") from None
