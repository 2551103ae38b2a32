"""The worker: every workflow and activity of the service on one task queue. `python worker.py` runs it."""

import asyncio
import dataclasses
import logging
import pkgutil
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
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
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.runtime import Runtime
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

import workflows
from activities.adapters.courier import Courier, FakeCourier
from activities.adapters.fulfilment import FakeFulfilment, Fulfilment
from activities.adapters.payments import PaymentProvider
from activities.adapters.remedy_selection import FakeRemediesRefused, courier_service, fulfilment_service
from activities.adapters.selection import FakePaymentsRefused, payment_provider
from activities.closing import CaseCloser
from activities.counters import CaseCounters
from activities.evidence_sweep import EvidenceSweep
from activities.facts import FactsActivities
from activities.money_settling import SETTLE_AFTER, MoneySettler
from activities.order_locks import OrderLocks
from activities.payments import MoneyActivities
from activities.recording import CaseRecorder
from activities.remedies import RemedyActivities
from activities.scans import ScanActivities
from api.caller_header import CallerHeader
from models.checkpoint import CheckpointKeys
from models.db import create_engine, session_factory
from rulebook.deadlines import DeadlinePolicy
from rulebook.facts import Thresholds
from rulebook.timers import Timers
from settings import Settings, get_settings
from storage.blobs import BlobStore
from storage.selection import evidence_blobs
from telemetry import logs, tracing
from telemetry.runtime import temporal_runtime
from temporal_options import TemporalTarget, WorkerTuning, connect_args, worker_args
from workflows.callers import CallerCheck, CallerKeys
from workflows.case import CaseWorkflow
from workflows.compiled_once import compile_once
from workflows.ending import RECONCILE_SCHEDULE_ID, ReconcileRequest
from workflows.evidence_sweep import EvidenceSweepWorkflow
from workflows.evidence_sweep_messages import EVIDENCE_SWEEP_SCHEDULE_ID, EvidenceSweepRequest
from workflows.messages import HISTORY_EVENTS_LIMIT, ScanRequest
from workflows.payloads import data_converter
from workflows.reconcile import ReconcileWorkflow
from workflows.scans import SCAN_SCHEDULE_ID, ScanWorkflow

WORKFLOWS = [CaseWorkflow, ScanWorkflow, ReconcileWorkflow, EvidenceSweepWorkflow]


def _helper_modules() -> list[str]:
    """The workflows package's modules but the workflows' own: deterministic, holding no state a run could change."""
    own = {workflow.__module__ for workflow in WORKFLOWS}
    return [m.name for m in pkgutil.iter_modules(workflows.__path__, "workflows.") if m.name not in own]


# Pure, deterministic modules are loaded once rather than re-imported into every workflow's sandbox (re-importing
# the helpers cost each new case 20-30 ms of CPU); each workflow's own module is still loaded afresh for every run.
# OpenTelemetry too, which the tracing interceptor uses inside workflows.
RESTRICTIONS = SandboxRestrictions.default.with_passthrough_modules(
    "rulebook", "signing_keys", "opentelemetry", *_helper_modules()
)


def build_worker(
    client: Client,
    sessions: async_sessionmaker[AsyncSession],
    provider: PaymentProvider,
    task_queue: str,
    tuning: WorkerTuning | None = None,
    timers: Timers | None = None,
    thresholds: Thresholds | None = None,
    deadlines: DeadlinePolicy | None = None,
    fulfilment: Fulfilment | None = None,
    courier: Courier | None = None,
    history_events_limit: int = HISTORY_EVENTS_LIMIT,
    caller_keys: CallerKeys | None = None,
    evidence: BlobStore | None = None,
    checkpoint_keys: CheckpointKeys | None = None,
    settle_after: timedelta = SETTLE_AFTER,
) -> Worker:
    """`tuning` is how much it takes on at once (settings `AFTERSALES_WORKER_…`); `timers`, `thresholds`,
    `deadlines` and `history_events_limit` are what the exception scan opens its cases with (the API's come from
    settings); without `fulfilment` and `courier`, the fakes (tests); `caller_keys` check who sends each command
    (development's without them); `evidence` the store the evidence sweep deletes from (none: it deletes nothing);
    without `checkpoint_keys` (what signs the timeline's checkpoints), the development key (tests); `settle_after`:
    how long after a case's workflow ended the reconciliation settles its pending money
    (`activities/money_settling.py`)."""
    scans = ScanActivities(
        sessions, client, task_queue, timers or Timers(), thresholds or Thresholds(), deadlines, history_events_limit
    )
    counters = CaseCounters((client.service_client.config.runtime or Runtime.default()).metric_meter)
    settler = MoneySettler(sessions, client, provider, counters, settle_after, checkpoint_keys)
    closer = CaseCloser(sessions, client, checkpoint_keys, settler)
    locks = OrderLocks(sessions)
    recorder = CaseRecorder(sessions, counters, checkpoint_keys)
    compile_once([workflow.__module__ for workflow in WORKFLOWS])
    activities: list[Callable[..., Any]] = [
        recorder.record_step,
        recorder.record_divergence,
        FactsActivities(sessions).load_case_facts,
        MoneyActivities(sessions, provider, counters, (thresholds or Thresholds()).coupon_max_cents).move_money,
        RemedyActivities(sessions, fulfilment or FakeFulfilment(), courier or FakeCourier()).carry_out,
        closer.close_cancelled,
        closer.repair_orphans,
        locks.unlock_order,
        locks.release_case_lock,
        scans.scan_stalled_page,
        scans.scan_missed_page,
        scans.restart_unstarted,
        EvidenceSweep(sessions, evidence).sweep_evidence,
    ]
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=activities,
        workflow_runner=SandboxedWorkflowRunner(restrictions=RESTRICTIONS),
        interceptors=[CallerCheck(caller_keys)],
        **worker_args(tuning or WorkerTuning()),
    )


async def connect(
    target: TemporalTarget,
    *,
    runtime: Runtime | None = None,
    tracer_provider: TracerProvider | None = None,
    caller_keys: CallerKeys | None = None,
) -> Client:
    """The service's own client (API and worker): its commands carry their caller in a header signed with
    `caller_keys` (development's without them), and the trace they belong to when tracing is on; a worker's runtime
    serves its metrics."""
    return await Client.connect(
        **connect_args(target),
        data_converter=data_converter,
        interceptors=[CallerHeader(caller_keys), *tracing.temporal_interceptors(tracer_provider)],
        runtime=runtime,
    )


def scan_schedule(task_queue: str, every: timedelta) -> Schedule:
    """The exception scan every T-MISSED; a run still going when the next is due makes it skip."""
    action = ScheduleActionStartWorkflow(ScanWorkflow.run, ScanRequest(), id=SCAN_SCHEDULE_ID, task_queue=task_queue)
    note = (
        f"订单异常扫描:每 {_span(every)} 找出物流停滞(T-STALL)的包裹和超时未发货(T-MISSED)的订单,各开一个案件"
        "并通知商家。暂停后不再自动发现这两类异常。"
    )
    return _every(action, every, note)


def reconcile_schedule(task_queue: str, every: timedelta) -> Schedule:
    """The reconciliation of case rows whose workflow ended without closing them: closed as their timeline says,
    or left open for an agent when the workflow completed (visible, pausable in the UI)."""
    action = ScheduleActionStartWorkflow(
        ReconcileWorkflow.run, ReconcileRequest(), id=RECONCILE_SCHEDULE_ID, task_queue=task_queue
    )
    note = (
        f"案件对账:每 {_span(every)} 找出工作流已结束(终止、重置、取消)但仍未结案的案件,按时间线结案并通知双方;"
        "工作流正常完成而案件仍开着的,留给客服。不动任何款项。"
    )
    return _every(action, every, note)


def evidence_sweep_schedule(task_queue: str, every: timedelta, grace: timedelta) -> Schedule:
    """The sweep of evidence files no record names, older than `grace` (visible, pausable in the UI)."""
    action = ScheduleActionStartWorkflow(
        EvidenceSweepWorkflow.run,
        EvidenceSweepRequest(grace.total_seconds()),
        id=EVIDENCE_SWEEP_SCHEDULE_ID,
        task_queue=task_queue,
    )
    note = (
        f"证据清理:每 {_span(every)} 删除没有任何证据记录引用、且写入已超过 {_span(grace)} 的证据文件"
        "(撤回的上传)。有记录的文件从不删除。"
    )
    return _every(action, every, note)


def _every(action: ScheduleActionStartWorkflow, every: timedelta, note: str) -> Schedule:
    """`note` is what the UI's *Schedules* page shows beside it: what it does, in the operators' words."""
    return Schedule(
        action=action,
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
        state=ScheduleState(note=note),
    )


def _span(every: timedelta) -> str:
    seconds = int(every.total_seconds())
    for unit, size in (("天", 86400), ("小时", 3600), ("分钟", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} 秒"


async def ensure_scan_schedule(client: Client, task_queue: str, every: timedelta) -> None:
    await ensure_schedule(client, SCAN_SCHEDULE_ID, scan_schedule(task_queue, every))


async def ensure_schedule(client: Client, schedule_id: str, schedule: Schedule) -> None:
    """Creates the schedule, or brings an existing one to the current interval and task queue; any number
    of workers may run this at start."""
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:

        def replace(current: ScheduleUpdateInput) -> ScheduleUpdate:
            state = current.description.schedule.state
            if state.paused:  # an operator paused it: their pause and its note stay
                return ScheduleUpdate(schedule=dataclasses.replace(schedule, state=state))
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(schedule_id).update(replace)


async def main() -> None:
    settings = get_settings()
    logs.configure(settings, "worker")
    async with (  # first: a worker that cannot pay, ship or reach the courier never starts
        payment_provider(settings) as provider,
        fulfilment_service(settings) as fulfilment,
        courier_service(settings) as courier,
    ):
        await serve(settings, provider, fulfilment, courier)


async def serve(
    settings: Settings, provider: PaymentProvider, fulfilment: Fulfilment | None = None, courier: Courier | None = None
) -> None:
    engine = create_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_timeout=settings.database_pool_timeout,
    )
    tracer_provider = tracing.tracer_provider(settings, "aftersales-worker")
    runtime = temporal_runtime(settings.worker_metrics_address)
    client = await connect(
        TemporalTarget.of(settings),
        runtime=runtime,
        tracer_provider=tracer_provider,
        caller_keys=settings.caller_key_ring,
    )
    sessions = session_factory(engine)
    try:
        async with evidence_blobs(settings) as evidence:
            await _serve(settings, client, sessions, provider, fulfilment, courier, evidence)
    finally:
        await engine.dispose()
        if tracer_provider is not None:
            tracer_provider.shutdown()


async def _serve(
    settings: Settings,
    client: Client,
    sessions: async_sessionmaker[AsyncSession],
    provider: PaymentProvider,
    fulfilment: Fulfilment | None,
    courier: Courier | None,
    evidence: BlobStore,
) -> None:
    worker = build_worker(
        client,
        sessions,
        provider,
        settings.task_queue,
        WorkerTuning.of(settings),
        settings.case_timers(),
        settings.case_thresholds(),
        settings.case_deadlines(),
        fulfilment,
        courier,
        settings.history_events_limit,
        settings.caller_key_ring,
        evidence,
        settings.checkpoint_keyring(),
    )
    if settings.scans:
        await ensure_scan_schedule(client, settings.task_queue, settings.t_missed)
    reconcile = reconcile_schedule(settings.task_queue, settings.reconcile_every)
    await ensure_schedule(client, RECONCILE_SCHEDULE_ID, reconcile)
    sweep = evidence_sweep_schedule(settings.task_queue, settings.evidence_sweep_every, settings.evidence_sweep_grace)
    await ensure_schedule(client, EVIDENCE_SWEEP_SCHEDULE_ID, sweep)
    logging.info(
        "worker on task queue %r at %s, payments: %s, metrics: %s",
        settings.task_queue,
        settings.temporal_address,
        settings.payments,
        f"http://{settings.worker_metrics_address}/metrics" if settings.worker_metrics_address else "off",
    )
    await worker.run()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except (FakePaymentsRefused, FakeRemediesRefused) as refused:
        raise SystemExit(f"worker: {refused}") from None
