"""What a decision does to the order's own shipment, carried out: an unshipped order's fulfilment cancelled before
its refund; a parcel in transit intercepted (拦截) and refunded once when it is back — or, refused, too late or
delivered after all, the delivered path (time-skipping server, real activities and database, fake adapters)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.adapters.courier import FakeCourier, InterceptOutcome
from activities.adapters.fulfilment import FakeFulfilment
from activities.adapters.payments import FakePaymentProvider
from models.order import Shipment
from rulebook.enums import Action, CaseStatus, Party, TrackingStatus
from tests.builders import add_case, add_order
from tests.support.polling import eventually
from tests.workflows.support import event_types, events_of, merchant, messages_to, paid, start, stored
from workflows.case import CaseWorkflow
from workflows.messages import CaseInput, TrackingUpdate

Sessions = async_sessionmaker[AsyncSession]
Handle = WorkflowHandle[CaseWorkflow, CaseStatus]
SECOND = timedelta(seconds=1)


async def in_transit(env: WorkflowEnvironment, queue: str, sessions: Sessions) -> tuple[Handle, CaseInput, str]:
    """A refund_only case on an order whose parcel is on its way; returns its tracking number."""
    order = await add_order(sessions, delivered=False)
    case = await add_case(sessions, order)
    async with sessions() as session:
        parcel = (await session.exec(select(Shipment).where(Shipment.order_id == order.order_id))).one()
    return await start(env, queue, case), case, parcel.tracking_no


async def track(handle: Handle, tracking_no: str, status: TrackingStatus) -> CaseStatus:
    update = TrackingUpdate(tracking_no, status, datetime.now(UTC), "杭州")
    return await handle.execute_update(CaseWorkflow.tracking, update)


def calls(adapter: FakeFulfilment | FakeCourier, case: CaseInput, what: str) -> list[str]:
    return [key for key in adapter.calls if key.startswith(f"case-{case.case_id}:{what}:")]


async def test_an_unshipped_order_is_refunded_and_its_fulfilment_cancelled_once(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    sessions: Sessions,
    fulfilment: FakeFulfilment,
    payments: FakePaymentProvider,
) -> None:
    case = await add_case(sessions, await add_order(sessions, shipped=False))
    handle = await start(time_skipping_env, task_queue, case)

    assert (await stored(sessions, case.case_id)).status == CaseStatus.RESOLVED
    assert (await event_types(sessions, case.case_id))[-4:] == [
        "decision_made",
        "fulfilment_cancelled",
        "refund_executed",
        "case_closed",
    ]
    (cancelled,) = await events_of(sessions, case.case_id, "fulfilment_cancelled")
    assert cancelled.data["reference"].startswith("FC-")
    assert calls(fulfilment, case, "cancel") == [f"case-{case.case_id}:cancel:1"]
    assert paid(payments, case) == [f"case-{case.case_id}:refund:1"]
    assert any("取消发货" in m for m in await messages_to(sessions, case.case_id, Party.MERCHANT))
    assert await handle.result() == CaseStatus.RESOLVED


async def test_a_cancellation_refused_for_good_goes_to_an_agent_before_any_refund(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    sessions: Sessions,
    fulfilment: FakeFulfilment,
    payments: FakePaymentProvider,
) -> None:
    order = await add_order(sessions, shipped=False)
    case = await add_case(sessions, order)
    fulfilment.refuse.add(f"case-{case.case_id}:cancel:1")
    await start(time_skipping_env, task_queue, case)

    waiting = await stored(sessions, case.case_id)
    assert (waiting.status, waiting.awaiting) == (CaseStatus.IN_ARBITRATION, Party.AGENT)
    (failed,) = await events_of(sessions, case.case_id, "fulfilment_cancel_failed")
    assert "refused" in failed.data["reason"]
    assert paid(payments, case) == []


async def test_an_intercepted_parcel_that_comes_back_is_refunded_once(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    sessions: Sessions,
    courier: FakeCourier,
    payments: FakePaymentProvider,
) -> None:
    handle, case, tracking_no = await in_transit(time_skipping_env, task_queue, sessions)

    intercept = merchant(case, Action.INTERCEPT, note="买家不要了")
    assert await handle.execute_update(CaseWorkflow.act, intercept) == CaseStatus.RETURN_IN_TRANSIT
    (intercepted,) = await events_of(sessions, case.case_id, "parcel_intercepted")
    assert (intercepted.data["tracking_no"], intercepted.data["outcome"]) == (tracking_no, "accepted")
    assert intercepted.data["reference"].startswith("IC-")
    assert paid(payments, case) == []  # the money waits for the parcel
    async with sessions() as session:
        parcel = (await session.exec(select(Shipment).where(Shipment.tracking_no == tracking_no))).one()
    assert parcel.case_id == case.case_id  # the feed now forwards its events to the case

    assert await track(handle, tracking_no, TrackingStatus.IN_TRANSIT) == CaseStatus.RETURN_IN_TRANSIT
    assert await track(handle, tracking_no, TrackingStatus.RETURNED) == CaseStatus.RESOLVED
    assert paid(payments, case) == [f"case-{case.case_id}:refund:1"]
    assert calls(courier, case, "intercept") == [f"case-{case.case_id}:intercept:1"]
    assert (await event_types(sessions, case.case_id))[-3:] == ["tracking_event", "refund_executed", "case_closed"]


@pytest.mark.parametrize("outcome", [InterceptOutcome.REFUSED, InterceptOutcome.TOO_LATE])
async def test_an_interception_refused_or_too_late_goes_the_delivered_path(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    sessions: Sessions,
    courier: FakeCourier,
    payments: FakePaymentProvider,
    outcome: InterceptOutcome,
) -> None:
    handle, case, tracking_no = await in_transit(time_skipping_env, task_queue, sessions)
    courier.intercept_outcomes[tracking_no] = outcome

    status = await handle.execute_update(CaseWorkflow.act, merchant(case, Action.INTERCEPT))

    assert status == CaseStatus.AWAITING_MERCHANT
    (refused,) = await events_of(sessions, case.case_id, "interception_refused")
    assert refused.data["outcome"] == outcome
    assert (await stored(sessions, case.case_id)).decision is None
    assert paid(payments, case) == []
    reject = merchant(case, Action.REJECT, reason="包裹已签收")  # the parties negotiate as after delivery
    assert await handle.execute_update(CaseWorkflow.act, reject) == CaseStatus.AWAITING_BUYER


async def test_a_parcel_delivered_in_the_meantime_goes_the_delivered_path(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, payments: FakePaymentProvider
) -> None:
    handle, case, tracking_no = await in_transit(time_skipping_env, task_queue, sessions)
    await handle.execute_update(CaseWorkflow.act, merchant(case, Action.INTERCEPT))

    assert await track(handle, tracking_no, TrackingStatus.DELIVERED) == CaseStatus.AWAITING_MERCHANT
    assert "interception_missed" in await event_types(sessions, case.case_id)
    assert paid(payments, case) == []


async def test_an_intercepted_parcel_without_movement_goes_to_an_agent(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, payments: FakePaymentProvider
) -> None:
    handle, case, _ = await in_transit(time_skipping_env, task_queue, sessions)
    await handle.execute_update(CaseWorkflow.act, merchant(case, Action.INTERCEPT))

    await time_skipping_env.sleep(case.timers.stall + SECOND)

    await eventually(lambda: stored(sessions, case.case_id), lambda c: c.status == CaseStatus.IN_ARBITRATION)
    assert (await event_types(sessions, case.case_id))[-1] == "deadline_passed"
    assert paid(payments, case) == []


async def test_a_silent_merchant_lets_r_timeout_intercept_the_parcel(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, courier: FakeCourier
) -> None:
    handle, case, tracking_no = await in_transit(time_skipping_env, task_queue, sessions)

    await time_skipping_env.sleep(case.timers.merchant + SECOND)

    await eventually(lambda: stored(sessions, case.case_id), lambda c: c.status == CaseStatus.RETURN_IN_TRANSIT)
    assert calls(courier, case, "intercept") == [f"case-{case.case_id}:intercept:1"]
    assert await track(handle, tracking_no, TrackingStatus.RETURNED) == CaseStatus.RESOLVED


async def test_a_delivered_parcel_cannot_be_intercepted(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    handle = await start(time_skipping_env, task_queue, case)

    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(CaseWorkflow.act, merchant(case, Action.INTERCEPT))
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "invalid_state" and "in transit" in cause.message
    assert (await stored(sessions, case.case_id)).status == CaseStatus.AWAITING_MERCHANT
