"""WF-12 on a real dev server: a case whose workflow was terminated is closed by the reconciliation, on its chain,
with the final status its timeline reached; a case whose workflow completed while it is open is left to an agent."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import workflow
from temporalio.client import Client, ScheduleActionStartWorkflow
from temporalio.worker import Worker

from activities.adapters.payments import FakePaymentProvider
from activities.recording import CaseRecorder
from models.case import Case
from models.db import transaction
from models.ledger import LedgerEntry, LedgerKind, LedgerStatus
from models.notification import Notification
from models.timeline import CaseEvent, verify_chain
from models.types import utcnow
from rulebook.enums import CaseStatus, Party, Role
from tests.builders import add_case, add_order
from tests.support.polling import eventually
from tests.workflows.support import stored
from worker import build_worker, ensure_schedule, reconcile_schedule
from workflows import search_attributes as sa
from workflows.case import CaseWorkflow
from workflows.divergence import DivergenceNote
from workflows.ending import RECONCILE_SCHEDULE_ID, ReconcileRequest, ReconcileResult
from workflows.messages import PLATFORM_ID, EventDraft, Projection, StepRecord
from workflows.reconcile import ReconcileWorkflow

pytestmark = pytest.mark.e2e
Sessions = async_sessionmaker[AsyncSession]


async def test_a_terminated_case_is_closed_by_the_reconciliation_with_a_timeline_event(
    dev_client: Client, sessions: Sessions
) -> None:
    queue = f"reconcile-{uuid.uuid4().hex[:8]}"
    async with build_worker(dev_client, sessions, FakePaymentProvider(), queue):
        case = await add_case(sessions, await add_order(sessions))
        attributes = sa.at_start(
            kind=case.kind,
            shop_id=case.shop_id,
            buyer_id=case.buyer_id,
            order_id=case.order_id,
            status=CaseStatus.AWAITING_MERCHANT,
            awaiting="merchant",
            urgent=case.urgent,
        )
        handle = await dev_client.start_workflow(
            CaseWorkflow.run, case, id=f"case-{case.case_id}", task_queue=queue, search_attributes=attributes
        )
        await handle.execute_update(CaseWorkflow.opened)
        await handle.terminate(reason="历史卡住,人工终止")
        assert (await stored(sessions, case.case_id)).status == CaseStatus.AWAITING_MERCHANT  # the orphan

        async def reconcile() -> ReconcileResult:
            run_id = f"reconcile-{uuid.uuid4().hex[:8]}"
            return await dev_client.execute_workflow(
                ReconcileWorkflow.run, ReconcileRequest(), id=run_id, task_queue=queue
            )

        await eventually(reconcile, lambda result: case.case_id in result.repaired, within=20)
        again = await reconcile()

    assert case.case_id not in again.repaired  # closed once
    row = await stored(sessions, case.case_id)
    assert (row.status, row.awaiting, row.deadline, row.open_key) == (CaseStatus.CANCELLED, None, None, None)
    async with sessions() as session:
        query = select(CaseEvent).where(CaseEvent.case_id == case.case_id).order_by(col(CaseEvent.seq))
        events = list((await session.exec(query)).all())
    assert [e.type for e in events] == ["case_opened", "case_repaired"]
    assert events[-1].data["workflow_status"] == "terminated"
    assert events[-1].data["reason"] == "历史卡住,人工终止"
    assert verify_chain(events, row.head_hash, row.event_count).valid


async def test_the_worker_keeps_one_reconcile_schedule_at_the_configured_interval(dev_client: Client) -> None:
    await ensure_schedule(dev_client, RECONCILE_SCHEDULE_ID, reconcile_schedule("q", timedelta(minutes=10)))
    try:
        await ensure_schedule(dev_client, RECONCILE_SCHEDULE_ID, reconcile_schedule("q", timedelta(minutes=3)))
        described = await dev_client.get_schedule_handle(RECONCILE_SCHEDULE_ID).describe()
        assert [i.every for i in described.schedule.spec.intervals] == [timedelta(minutes=3)]
        action = described.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow) and action.workflow == "ReconcileWorkflow"
    finally:
        await dev_client.get_schedule_handle(RECONCILE_SCHEDULE_ID).delete()


@workflow.defn(name="CaseWorkflow", sandboxed=False)
class EndingCase:
    """Stands in for a case workflow that ends on its own (`complete`: the workflow bug behind issue finding 1) or
    waits until it is terminated; the case's row and timeline are stored by the test."""

    @workflow.run
    async def run(self, mode: str) -> None:
        if mode == "wait":
            await workflow.wait_condition(lambda: False)


async def seeded(sessions: Sessions, *steps: tuple[tuple[EventDraft, ...], CaseStatus, Party | None]) -> Case:
    case = await add_case(sessions, await add_order(sessions))
    recorder, seq = CaseRecorder(sessions), 1
    for drafts, status, awaiting in steps:
        at = drafts[-1].at
        projection = Projection(
            status, awaiting, None if status.is_final else at + timedelta(days=1), None, None, False, at
        )
        await recorder.record_step(StepRecord(case.case_id, seq, drafts, projection))
        seq += len(drafts)
    return await stored(sessions, case.case_id)


def said(type: str, **data: object) -> EventDraft:
    return EventDraft(type, Role.SYSTEM, PLATFORM_ID, utcnow(), dict(data))


async def timeline(sessions: Sessions, case_id: str) -> list[CaseEvent]:
    async with sessions() as session:
        query = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(col(CaseEvent.seq))
        return list((await session.exec(query)).all())


async def notified(sessions: Sessions, case_id: str, seq: int) -> list[str]:
    async with sessions() as session:
        query = select(Notification.recipient_role).where(
            Notification.case_id == case_id, Notification.event_seq == seq
        )
        return sorted(str(role) for role in (await session.exec(query)).all())


async def test_a_completed_workflow_s_open_case_is_left_to_an_agent_an_ended_one_closed_as_its_timeline_says(
    dev_client: Client, sessions: Sessions
) -> None:
    message = EventDraft("message", Role.BUYER, "buyer-1", utcnow(), {"text": "还没退款"})
    # the tester's case: the ledger refused the refund, the case waits on an agent, and its workflow completed
    arbitration = await seeded(
        sessions,
        ((message,), CaseStatus.AWAITING_MERCHANT, Party.MERCHANT),
        ((said("refund_refused", amount_cents=6900),), CaseStatus.IN_ARBITRATION, Party.AGENT),
    )
    async with transaction(sessions) as session:  # its refund is still in flight: the reconciliation leaves it be
        session.add(
            LedgerEntry(
                business_key=f"case-{arbitration.case_id}:refund:1",
                case_id=arbitration.case_id,
                order_id=arbitration.order_id,
                kind=LedgerKind.REFUND,
                amount_cents=6900,
            )
        )
    nobody = await seeded(sessions, ((message,), CaseStatus.AWAITING_REPLACEMENT, None))
    # closed resolved, then a reset run's divergence handed it to an agent, then that run was terminated
    closed = await seeded(
        sessions,
        ((message,), CaseStatus.AWAITING_MERCHANT, Party.MERCHANT),
        (
            (said("refund_executed", amount_cents=3000, external_ref="pay-1"), said("case_closed", status="resolved")),
            CaseStatus.RESOLVED,
            None,
        ),
    )
    at = utcnow()
    await CaseRecorder(sessions).record_divergence(
        DivergenceNote(closed.case_id, "run-b", 2, ("merchant_approved",), at, at + timedelta(hours=4))
    )
    async with transaction(sessions) as session:  # the ended run's refund of the reset: still pending
        session.add(
            LedgerEntry(
                business_key=f"case-{closed.case_id}:refund:1",
                case_id=closed.case_id,
                order_id=closed.order_id,
                kind=LedgerKind.REFUND,
                amount_cents=3000,
            )
        )
    waiting = await seeded(sessions, ((message,), CaseStatus.AWAITING_MERCHANT, Party.MERCHANT))
    timed_out = await seeded(
        sessions,
        ((message,), CaseStatus.AWAITING_BUYER, Party.BUYER),
        ((EventDraft("withdrawn", Role.BUYER, "buyer-1", utcnow(), {"reason": "不要了"}),), CaseStatus.WITHDRAWN, None),
        ((said("timeline_diverged", run_id="r", first_seq=2),), CaseStatus.IN_ARBITRATION, Party.AGENT),
    )

    queue, fakes = f"reconcile-{uuid.uuid4().hex[:8]}", f"ending-{uuid.uuid4().hex[:8]}"
    async with (
        build_worker(dev_client, sessions, FakePaymentProvider(), queue),
        Worker(dev_client, task_queue=fakes, workflows=[EndingCase]),
    ):
        for case, mode in (
            (arbitration, "complete"),
            (nobody, "complete"),
            (closed, "wait"),
            (waiting, "wait"),
            (timed_out, "wait"),
        ):
            row = await stored(sessions, case.case_id)
            attributes = sa.at_start(
                kind=row.kind,
                shop_id=row.shop_id,
                buyer_id=row.buyer_id,
                order_id=row.order_id,
                status=row.status,
                awaiting=str(row.awaiting or ""),
                urgent=row.urgent,
            )
            timeout = timedelta(seconds=2) if case is timed_out else None
            handle = await dev_client.start_workflow(
                EndingCase.run,
                mode,
                id=f"case-{case.case_id}",
                task_queue=fakes,
                search_attributes=attributes,
                execution_timeout=timeout,
            )
            if case in (closed, waiting):
                await handle.terminate(reason="重置后终止")
            elif mode == "complete":
                await handle.result()
        expected = {c.case_id for c in (arbitration, nobody, closed, waiting, timed_out)}
        repaired: set[str] = set()

        async def reconcile() -> ReconcileResult:
            result = await dev_client.execute_workflow(
                ReconcileWorkflow.run, ReconcileRequest(), id=f"reconcile-{uuid.uuid4().hex[:8]}", task_queue=queue
            )
            repaired.update(result.repaired)
            return result

        await eventually(reconcile, lambda _: expected <= repaired, within=30)
        again = await reconcile()
        last = await reconcile()

    assert not expected & (set(again.repaired) | set(last.repaired))  # each repaired once

    row = await stored(sessions, arbitration.case_id)
    assert (row.status, row.awaiting, row.open_key) == (CaseStatus.IN_ARBITRATION, Party.AGENT, arbitration.open_key)
    events = await timeline(sessions, arbitration.case_id)
    assert [e.type for e in events] == ["message", "refund_refused", "case_repaired"]
    assert events[-1].data == {
        "workflow_status": "completed",
        "action": "left_open_for_agent",
        "status": "in_arbitration",
    }
    assert await notified(sessions, arbitration.case_id, 3) == ["agent"]  # nobody reads "平台已取消本次售后"
    async with sessions() as session:
        entries = (
            await session.exec(
                select(LedgerEntry.status).where(col(LedgerEntry.case_id).in_([arbitration.case_id, closed.case_id]))
            )
        ).all()
    assert list(entries) == [LedgerStatus.PENDING, LedgerStatus.PENDING]

    row = await stored(sessions, nobody.case_id)
    assert (row.status, row.awaiting, row.urgent) == (CaseStatus.IN_ARBITRATION, Party.AGENT, True)
    assert [e.type for e in await timeline(sessions, nobody.case_id)] == ["message", "case_repaired"]

    row = await stored(sessions, closed.case_id)
    assert (row.status, row.awaiting, row.deadline, row.open_key) == (CaseStatus.RESOLVED, None, None, None)
    events = await timeline(sessions, closed.case_id)
    assert [e.type for e in events][-2:] == ["timeline_diverged", "case_repaired"]
    assert events[-1].data["status"] == "resolved" and events[-1].data["workflow_status"] == "terminated"
    assert await notified(sessions, closed.case_id, events[-1].seq) == []  # both were told when it closed
    assert verify_chain(events, row.head_hash, row.event_count).valid

    row = await stored(sessions, timed_out.case_id)
    events = await timeline(sessions, timed_out.case_id)
    assert row.status == CaseStatus.WITHDRAWN
    assert events[-1].data["workflow_status"] == "timed_out" and events[-1].data["status"] == "withdrawn"

    row = await stored(sessions, waiting.case_id)
    events = await timeline(sessions, waiting.case_id)
    assert row.status == CaseStatus.CANCELLED and events[-1].data["status"] == "cancelled"
    assert await notified(sessions, waiting.case_id, events[-1].seq) == ["buyer", "merchant"]
