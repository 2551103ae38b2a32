"""Order exceptions on the time-skipping server: the scan opens the cases once, the merchant resolves from the
menu, and silence is R-TIMEOUT. Each test scans only its own shop, so other tests' orders stay untouched."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.adapters.payments import FakePaymentProvider
from models import tracking
from models.case import Case
from models.db import transaction
from models.order import Order, Shipment, TrackingEventRow
from models.timeline import CaseEvent
from rulebook.enums import Action, CaseKind, CaseStatus, Resolution, Role, TrackingStatus
from tests.builders import add_order
from tests.support.polling import eventually
from tests.workflows.support import event_types, ledger, stored
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest, ScanRequest, ScanResult
from workflows.scans import ScanWorkflow

Sessions = async_sessionmaker[AsyncSession]
DAY = timedelta(hours=24)


async def scan(env: WorkflowEnvironment, queue: str, shop_id: str) -> ScanResult:
    """Runs the scan as the schedule would, without letting the server skip time to the cases' deadlines meanwhile."""
    request = ScanRequest(shop_id=shop_id)
    with env.auto_time_skipping_disabled():
        return await env.client.execute_workflow(
            ScanWorkflow.run, request, id=f"scan-{uuid.uuid4().hex}", task_queue=queue
        )


async def stalled_order(sessions: Sessions, hours: int = 80) -> Order:
    order = await add_order(sessions, delivered=False)
    async with transaction(sessions) as session:
        tracking_no = (
            await session.exec(select(Shipment.tracking_no).where(Shipment.order_id == order.order_id))
        ).one()
        at = datetime.now(UTC) - timedelta(hours=hours)
        session.add(
            TrackingEventRow(tracking_no=tracking_no, status=TrackingStatus.PICKED_UP, at=at - DAY, location="杭州")
        )
        session.add(TrackingEventRow(tracking_no=tracking_no, status=TrackingStatus.IN_TRANSIT, at=at, location="上海"))
        await session.flush()
        await tracking.refresh(session, tracking_no)
    return order


async def cases_of(sessions: Sessions, order: Order) -> list[Case]:
    async with sessions() as session:
        return list((await session.exec(select(Case).where(Case.order_id == order.order_id))).all())


async def events(sessions: Sessions, case_id: str, type: str) -> list[CaseEvent]:
    async with sessions() as session:
        rows = await session.exec(
            select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.type == type).order_by(col(CaseEvent.seq))
        )
        return list(rows.all())


def resolve(case: Case, resolution: Resolution, **fields: object) -> ActionRequest:
    return ActionRequest(Action.RESOLVE, Role.MERCHANT, case.shop_id, resolution=resolution, **fields)  # type: ignore[arg-type]


def paid(payments: FakePaymentProvider, case_id: str) -> list[str]:
    return [key for key in payments.calls if key.startswith(f"case-{case_id}:")]


async def test_a_stalled_shipment_opens_one_case_and_urging_the_courier_pays_one_coupon(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, payments: FakePaymentProvider
) -> None:
    order = await stalled_order(sessions)
    fresh = await stalled_order(sessions, hours=10)  # moving: not stalled
    async with transaction(sessions) as session:  # same shop, so the same scan looks at it
        row = await session.get(Order, fresh.order_id)
        assert row is not None
        row.shop_id = order.shop_id

    first = await scan(time_skipping_env, task_queue, order.shop_id)
    second = await scan(time_skipping_env, task_queue, order.shop_id)

    [case] = await cases_of(sessions, order)
    assert first.stalled == (case.case_id,) and first.missed == () and second.stalled == ()
    assert await cases_of(sessions, fresh) == []
    assert (case.kind, case.status, case.awaiting) == (
        CaseKind.LOGISTICS_STALLED,
        CaseStatus.AWAITING_MERCHANT,
        "merchant",
    )
    assert await event_types(sessions, case.case_id) == ["case_opened", "exception_alert"]
    [opened] = await events(sessions, case.case_id, "case_opened")
    [alert] = await events(sessions, case.case_id, "exception_alert")
    assert opened.actor_role == Role.SYSTEM
    assert [node["stalled"] for node in alert.data["tracking"]] == [False, True]
    assert alert.data["menu"] == ["urge_courier_coupon", "late_delivery_compensation"]

    handle = time_skipping_env.client.get_workflow_handle_for(CaseWorkflow.run, case.workflow_id)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(CaseWorkflow.act, resolve(case, Resolution.RESHIP_PAY_SHIPPING))
    assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == "invalid_request"

    request = resolve(case, Resolution.URGE_COURIER_COUPON, note="已催促快递", evidence_ids=("ev-1",))
    assert await handle.execute_update(CaseWorkflow.act, request) == CaseStatus.RESOLVED

    done = await stored(sessions, case.case_id)
    assert done.decision is not None and done.decision["resolution"] == "urge_courier_coupon"
    [entry] = await ledger(sessions, case.case_id)
    assert (entry.kind, entry.amount_cents, entry.business_key) == ("coupon", 500, f"case-{case.case_id}:coupon:1")
    assert paid(payments, case.case_id) == [entry.business_key]
    [chosen] = await events(sessions, case.case_id, "resolution_chosen")
    [decided] = await events(sessions, case.case_id, "decision_made")
    assert (chosen.data["note"], chosen.data["evidence_ids"]) == ("已催促快递", ["ev-1"])
    assert decided.data["resolution"] == "urge_courier_coupon"
    assert (await event_types(sessions, case.case_id))[-2:] == ["coupon_issued", "case_closed"]
    assert (await scan(time_skipping_env, task_queue, order.shop_id)).stalled == ()  # closed: this stall had its case


async def test_a_missed_shipment_opens_one_case_and_the_reship_is_recorded_as_an_instruction(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, payments: FakePaymentProvider
) -> None:
    order = await add_order(sessions, shipped=False)
    first = await scan(time_skipping_env, task_queue, order.shop_id)
    second = await scan(time_skipping_env, task_queue, order.shop_id)

    [case] = await cases_of(sessions, order)
    assert first.missed == (case.case_id,) and second.missed == () and first.stalled == ()
    assert case.kind == CaseKind.MISSED_SHIPMENT and case.status == CaseStatus.AWAITING_MERCHANT

    handle = time_skipping_env.client.get_workflow_handle_for(CaseWorkflow.run, case.workflow_id)
    request = resolve(case, Resolution.RESHIP_MISSING_WITH_COUPON, coupon_cents=300, note="今日补发")
    assert await handle.execute_update(CaseWorkflow.act, request) == CaseStatus.RESOLVED

    [entry] = await ledger(sessions, case.case_id)
    assert (entry.kind, entry.amount_cents) == ("coupon", 300)
    assert paid(payments, case.case_id) == [entry.business_key]
    assert (await scan(time_skipping_env, task_queue, order.shop_id)).missed == ()  # one case per missed shipment
    [instructed] = await events(sessions, case.case_id, "reshipment_instructed")
    [receipt] = instructed.data.pop("system_evidence")  # the instruction's reference, as system evidence
    assert receipt["source"] == "reshipment_instructed" and receipt["content"]["instruction"] == "reship"
    assert instructed.data == {
        "instruction": "reship",
        "resolution": "reship_missing_with_coupon",
        "executed": False,
        "note": "今日补发",
        "evidence_ids": [],
    }


async def test_merchant_silence_on_a_stall_is_r_timeout_paying_the_r_stall_coupon_once(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, payments: FakePaymentProvider
) -> None:
    stalled = await stalled_order(sessions)
    missed = await add_order(sessions, shipped=False)
    async with transaction(sessions) as session:
        row = await session.get(Order, missed.order_id)
        assert row is not None
        row.shop_id = stalled.shop_id
    result = await scan(time_skipping_env, task_queue, stalled.shop_id)
    assert len(result.stalled) == len(result.missed) == 1

    await time_skipping_env.sleep(DAY + timedelta(minutes=1))

    stall_case = await eventually(lambda: stored(sessions, result.stalled[0]), lambda c: c.status.is_final)
    missed_case = await eventually(
        lambda: stored(sessions, result.missed[0]), lambda c: c.status == CaseStatus.IN_ARBITRATION
    )
    assert stall_case.status == CaseStatus.RESOLVED and stall_case.decision is not None
    assert stall_case.decision["rules"][:2] == ["R-TIMEOUT", "R-STALL"]
    [entry] = await ledger(sessions, stall_case.case_id)
    assert (entry.kind, entry.amount_cents) == ("coupon", 500)
    assert paid(payments, stall_case.case_id) == [entry.business_key]
    types = await event_types(sessions, stall_case.case_id)
    assert types[2:] == ["deadline_passed", "decision_made", "coupon_issued", "case_closed"]
    assert missed_case.awaiting == "agent" and await ledger(sessions, missed_case.case_id) == []
