"""return_refund and exchange on the time-skipping server, with the real activities and database: the goods go
back (T-BUYER-SHIP, tracking, T-RECEIPT) before the money or the replacement moves."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.adapters.payments import FakePaymentProvider
from models.db import transaction
from models.notification import Notification
from models.order import Shipment, TrackingEventRow
from models.shop_settings import ShopSettings
from models.timeline import CaseEvent
from rulebook.enums import (
    Action,
    CaseKind,
    CaseStatus,
    Outcome,
    Party,
    ReasonCode,
    Role,
    ShipmentDirection,
    TrackingStatus,
)
from tests.builders import add_case, add_order, new_id
from tests.support.polling import eventually
from tests.workflows.support import event_types, ledger, merchant, paid, start, stored
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest, CaseInput, TrackingUpdate

Sessions = async_sessionmaker[AsyncSession]
Handle = WorkflowHandle[CaseWorkflow, CaseStatus]
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
ADDRESS = "上海市浦东新区退货仓 A-3"


async def open_return(
    env: WorkflowEnvironment, queue: str, sessions: Sessions, kind: CaseKind
) -> tuple[Handle, CaseInput]:
    case = await add_case(sessions, await add_order(sessions), kind=kind)
    return await start(env, queue, case), case


async def approve(handle: Handle, case: CaseInput) -> CaseStatus:
    return await handle.execute_update(CaseWorkflow.act, merchant(case, Action.APPROVE, return_address=ADDRESS))


async def ship(handle: Handle, case: CaseInput, tracking_no: str) -> CaseStatus:
    request = ActionRequest(Action.SHIP_RETURN, Role.BUYER, case.buyer_id, carrier="SF", tracking_no=tracking_no)
    return await handle.execute_update(CaseWorkflow.act, request)


async def track(handle: Handle, tracking_no: str, status: TrackingStatus, at: datetime | None = None) -> CaseStatus:
    update = TrackingUpdate(tracking_no, status, at or datetime.now(UTC), "上海")
    return await handle.execute_update(CaseWorkflow.tracking, update)


async def confirm(handle: Handle, case: CaseInput, ok: bool = True, **fields: Any) -> CaseStatus:
    return await handle.execute_update(
        CaseWorkflow.act, merchant(case, Action.CONFIRM_RECEIPT, condition_ok=ok, **fields)
    )


async def returned(
    env: WorkflowEnvironment, queue: str, sessions: Sessions, kind: CaseKind
) -> tuple[Handle, CaseInput]:
    """A case whose return the courier has just delivered to the merchant."""
    handle, case = await open_return(env, queue, sessions, kind)
    await approve(handle, case)
    tracking_no = new_id("SFR")
    await ship(handle, case, tracking_no)
    assert await track(handle, tracking_no, TrackingStatus.DELIVERED) == CaseStatus.AWAITING_RECEIPT
    return handle, case


async def events(sessions: Sessions, case_id: str, type: str) -> list[CaseEvent]:
    async with sessions() as session:
        rows = await session.exec(
            select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.type == type).order_by(col(CaseEvent.seq))
        )
        return list(rows.all())


async def messages_to(sessions: Sessions, case_id: str, party: Party) -> list[str]:
    async with sessions() as session:
        rows = await session.exec(
            select(Notification)
            .where(Notification.case_id == case_id, Notification.recipient_role == party)
            .order_by(col(Notification.event_seq))
        )
        return [n.text_zh for n in rows.all()]


def refused(error: pytest.ExceptionInfo[WorkflowUpdateFailedError]) -> str | None:
    cause = error.value.cause
    assert isinstance(cause, ApplicationError)
    return cause.type


async def test_a_return_is_refunded_once_after_the_merchant_confirms_receipt(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, payments: FakePaymentProvider
) -> None:
    handle, case = await open_return(time_skipping_env, task_queue, sessions, CaseKind.RETURN_REFUND)

    assert await approve(handle, case) == CaseStatus.AWAITING_RETURN_SHIPMENT
    waiting = await stored(sessions, case.case_id)
    (requested,) = await events(sessions, case.case_id, "return_requested")
    assert (waiting.awaiting, waiting.deadline) == (Party.BUYER, requested.at + 7 * DAY)
    assert requested.data["return_address"] == ADDRESS
    assert waiting.decision is not None and waiting.decision["outcome"] == Outcome.RETURN_REFUND
    assert paid(payments, case) == []  # the goods come back first

    tracking_no = new_id("SFR")
    assert await ship(handle, case, tracking_no) == CaseStatus.RETURN_IN_TRANSIT
    in_transit = await stored(sessions, case.case_id)
    assert (in_transit.awaiting, in_transit.deadline is not None) == (None, True)
    async with sessions() as session:
        parcel = (await session.exec(select(Shipment).where(Shipment.tracking_no == tracking_no))).one()
    assert (parcel.direction, parcel.case_id, parcel.order_id) == (
        ShipmentDirection.RETURN,
        case.case_id,
        case.order_id,
    )

    assert await track(handle, tracking_no, TrackingStatus.PICKED_UP) == CaseStatus.RETURN_IN_TRANSIT
    assert await track(handle, tracking_no, TrackingStatus.DELIVERED) == CaseStatus.AWAITING_RECEIPT
    delivered = await stored(sessions, case.case_id)
    assert (delivered.awaiting, delivered.deadline) == (Party.MERCHANT, delivered.updated_at + 48 * HOUR)

    assert await confirm(handle, case, note="完好") == CaseStatus.RESOLVED
    assert await handle.result() == CaseStatus.RESOLVED
    assert await event_types(sessions, case.case_id) == [
        "case_opened",
        "merchant_approved",
        "decision_made",
        "return_requested",
        "return_shipped",
        "tracking_event",
        "tracking_event",
        "receipt_confirmed",
        "refund_executed",
        "case_closed",
    ]
    entries = await ledger(sessions, case.case_id)
    assert [(e.business_key, e.amount_cents, e.status) for e in entries] == [
        (f"case-{case.case_id}:refund:1", case.amount_cents, "succeeded")
    ]
    assert paid(payments, case) == [f"case-{case.case_id}:refund:1"]
    to_buyer = await messages_to(sessions, case.case_id, Party.BUYER)
    assert any(m.startswith("商家已同意退货,请寄回商品") and ADDRESS in m for m in to_buyer)
    assert any(m.startswith("快递已取件") for m in to_buyer)


async def test_confirm_receipt_before_the_return_ships_is_refused(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    handle, case = await open_return(time_skipping_env, task_queue, sessions, CaseKind.RETURN_REFUND)
    await approve(handle, case)
    with pytest.raises(WorkflowUpdateFailedError) as error:
        await confirm(handle, case)
    assert refused(error) == "invalid_state"
    withdraw = ActionRequest(Action.WITHDRAW, Role.BUYER, case.buyer_id, reason="不退了")
    assert await handle.execute_update(CaseWorkflow.act, withdraw) == CaseStatus.WITHDRAWN


async def test_t_receipt_confirms_for_a_silent_merchant_and_the_refund_follows(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, payments: FakePaymentProvider
) -> None:
    handle, case = await returned(time_skipping_env, task_queue, sessions, CaseKind.RETURN_REFUND)

    await time_skipping_env.sleep(48 * HOUR - timedelta(seconds=10))
    assert (await stored(sessions, case.case_id)).status == CaseStatus.AWAITING_RECEIPT
    assert paid(payments, case) == []

    await time_skipping_env.sleep(timedelta(seconds=20))
    await eventually(lambda: stored(sessions, case.case_id), lambda c: c.status == CaseStatus.RESOLVED)
    assert (await event_types(sessions, case.case_id))[-4:] == [
        "deadline_passed",
        "receipt_confirmed",
        "refund_executed",
        "case_closed",
    ]
    (receipt,) = await events(sessions, case.case_id, "receipt_confirmed")
    assert (receipt.actor_role, receipt.data["automatic"], receipt.data["condition_ok"]) == ("system", True, True)
    assert paid(payments, case) == [f"case-{case.case_id}:refund:1"]
    assert await handle.result() == CaseStatus.RESOLVED


async def test_the_buyer_is_warned_a_day_before_t_buyer_ship_and_the_request_closes_when_it_runs_out(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    handle, case = await open_return(time_skipping_env, task_queue, sessions, CaseKind.RETURN_REFUND)
    await approve(handle, case)

    await time_skipping_env.sleep(6 * DAY - timedelta(seconds=10))
    assert await events(sessions, case.case_id, "return_ship_warning") == []
    await time_skipping_env.sleep(timedelta(seconds=20))
    (warning,) = await eventually(lambda: events(sessions, case.case_id, "return_ship_warning"), bool)
    assert warning.data["deadline"] == (await stored(sessions, case.case_id)).deadline.isoformat()  # type: ignore[union-attr]
    assert any("逾期退货申请将自动关闭" in m for m in await messages_to(sessions, case.case_id, Party.BUYER))

    await time_skipping_env.sleep(DAY - timedelta(seconds=20))
    assert (await stored(sessions, case.case_id)).status == CaseStatus.AWAITING_RETURN_SHIPMENT
    await time_skipping_env.sleep(timedelta(seconds=20))
    closed = await eventually(lambda: stored(sessions, case.case_id), lambda c: c.status.is_final)

    assert (closed.status, closed.awaiting, closed.deadline, closed.open_key) == (
        CaseStatus.WITHDRAWN,
        None,
        None,
        None,
    )
    (passed,) = await events(sessions, case.case_id, "deadline_passed")
    assert (passed.data["timer"], passed.data["waited_on"]) == ("T-BUYER-SHIP", "buyer")
    assert await ledger(sessions, case.case_id) == []
    assert await handle.result() == CaseStatus.WITHDRAWN


async def test_goods_not_in_condition_go_to_an_agent_with_the_merchants_note_and_cannot_be_withdrawn(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, payments: FakePaymentProvider
) -> None:
    handle, case = await returned(time_skipping_env, task_queue, sessions, CaseKind.RETURN_REFUND)

    status = await confirm(handle, case, ok=False, note="吊牌已拆,有穿着痕迹", evidence_ids=("ev-9",))
    assert status == CaseStatus.IN_ARBITRATION
    arbitration = await stored(sessions, case.case_id)
    assert (arbitration.awaiting, arbitration.deadline is not None) == (Party.AGENT, True)
    (receipt,) = await events(sessions, case.case_id, "receipt_confirmed")
    assert (receipt.data["condition_ok"], receipt.data["note"], receipt.data["evidence_ids"]) == (
        False,
        "吊牌已拆,有穿着痕迹",
        ["ev-9"],
    )
    assert paid(payments, case) == []
    with pytest.raises(WorkflowUpdateFailedError) as error:
        await handle.execute_update(CaseWorkflow.act, ActionRequest(Action.WITHDRAW, Role.BUYER, case.buyer_id))
    assert refused(error) == "invalid_state"  # the goods were sent back: nothing to withdraw any more

    ruling = ActionRequest(
        Action.DECIDE,
        Role.AGENT,
        "agent-1",
        outcome=Outcome.PARTIAL_REFUND,
        amount_cents=5000,
        rationale="影响二次销售,部分退款",
    )
    assert await handle.execute_update(CaseWorkflow.act, ruling) == CaseStatus.RESOLVED
    assert [e.amount_cents for e in await ledger(sessions, case.case_id)] == [5000]


async def test_an_exchange_closes_when_the_replacement_is_delivered_without_moving_money(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, payments: FakePaymentProvider
) -> None:
    handle, case = await returned(time_skipping_env, task_queue, sessions, CaseKind.EXCHANGE)

    assert await confirm(handle, case) == CaseStatus.AWAITING_REPLACEMENT
    waiting = await stored(sessions, case.case_id)
    assert (waiting.awaiting, waiting.deadline) == (Party.MERCHANT, waiting.updated_at + DAY)
    replacement = new_id("SFX")
    ship_replacement = merchant(case, Action.SHIP_REPLACEMENT, carrier="SF", tracking_no=replacement)
    assert await handle.execute_update(CaseWorkflow.act, ship_replacement) == CaseStatus.REPLACEMENT_IN_TRANSIT
    assert (await stored(sessions, case.case_id)).awaiting is None
    assert await track(handle, replacement, TrackingStatus.PICKED_UP) == CaseStatus.REPLACEMENT_IN_TRANSIT
    assert await track(handle, replacement, TrackingStatus.DELIVERED) == CaseStatus.RESOLVED

    assert await handle.result() == CaseStatus.RESOLVED
    resolved = await stored(sessions, case.case_id)
    assert resolved.decision is not None and resolved.decision["outcome"] == Outcome.EXCHANGE
    # the closed case says what happened, not the grant's "send the goods back"
    assert "请买家寄回商品" not in str(resolved.decision["rationale"])
    assert str(resolved.decision["rationale"]).startswith("换货完成")
    assert "寄回" in str(resolved.decision["granted_rationale"])
    assert (await messages_to(sessions, case.case_id, Party.BUYER))[-2:] == [
        "换货商品已签收。",
        "本次售后已结束:已解决。",
    ]
    assert (await event_types(sessions, case.case_id))[-5:] == [
        "receipt_confirmed",
        "replacement_shipped",
        "tracking_event",
        "tracking_event",
        "case_closed",
    ]
    async with sessions() as session:
        parcel = (await session.exec(select(Shipment).where(Shipment.tracking_no == replacement))).one()
    assert (parcel.direction, parcel.case_id) == (ShipmentDirection.REPLACEMENT, case.case_id)
    assert paid(payments, case) == [] and await ledger(sessions, case.case_id) == []


async def test_an_exchange_out_of_stock_offers_a_refund_instead(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    handle, case = await returned(time_skipping_env, task_queue, sessions, CaseKind.EXCHANGE)
    await confirm(handle, case)
    offer = merchant(
        case, Action.PROPOSE, outcome=Outcome.PARTIAL_REFUND, amount_cents=case.amount_cents, message="缺货,全额退款"
    )
    assert await handle.execute_update(CaseWorkflow.act, offer) == CaseStatus.AWAITING_BUYER
    accept = ActionRequest(Action.ACCEPT_PROPOSAL, Role.BUYER, case.buyer_id)
    assert await handle.execute_update(CaseWorkflow.act, accept) == CaseStatus.RESOLVED
    assert [e.amount_cents for e in await ledger(sessions, case.case_id)] == [case.amount_cents]


async def test_the_same_tracking_event_twice_is_one_event_on_the_timeline(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    handle, case = await open_return(time_skipping_env, task_queue, sessions, CaseKind.RETURN_REFUND)
    await approve(handle, case)
    tracking_no = new_id("SFR")
    await ship(handle, case, tracking_no)
    at = datetime.now(UTC)

    assert await track(handle, tracking_no, TrackingStatus.DELIVERED, at) == CaseStatus.AWAITING_RECEIPT
    deadline = (await stored(sessions, case.case_id)).deadline
    await time_skipping_env.sleep(HOUR)
    assert await track(handle, tracking_no, TrackingStatus.DELIVERED, at) == CaseStatus.AWAITING_RECEIPT

    assert len(await events(sessions, case.case_id, "tracking_event")) == 1
    assert (await stored(sessions, case.case_id)).deadline == deadline  # T-RECEIPT not restarted
    with pytest.raises(WorkflowUpdateFailedError) as error:
        await track(handle, new_id("SF-unknown"), TrackingStatus.DELIVERED)
    assert refused(error) == "invalid_request"
    assert await confirm(handle, case) == CaseStatus.RESOLVED


async def test_a_silent_merchant_grants_a_seven_day_return_as_a_return_not_as_money(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, payments: FakePaymentProvider
) -> None:
    order = await add_order(sessions, shipped=False)
    delivered_at = await time_skipping_env.get_current_time() - DAY  # the server's clock has skipped ahead
    async with transaction(sessions) as session:
        tracking_no = new_id("SF")
        session.add(Shipment(order_id=order.order_id, carrier="SF", tracking_no=tracking_no))
        session.add(TrackingEventRow(tracking_no=tracking_no, status=TrackingStatus.DELIVERED, at=delivered_at))
        session.add(ShopSettings(shop_id=order.shop_id, return_address=ADDRESS))  # where R-TIMEOUT's return goes
    case = await add_case(sessions, order, kind=CaseKind.RETURN_REFUND, reason=ReasonCode.NO_REASON)
    handle = await start(time_skipping_env, task_queue, case)

    await time_skipping_env.sleep(DAY + timedelta(seconds=10))
    waiting = await eventually(
        lambda: stored(sessions, case.case_id), lambda c: c.status != CaseStatus.AWAITING_MERCHANT
    )
    assert (waiting.status, waiting.awaiting) == (CaseStatus.AWAITING_RETURN_SHIPMENT, Party.BUYER)
    assert waiting.decision is not None and "R-TIMEOUT" in waiting.decision["rules"]
    assert paid(payments, case) == []
    to_buyer = await messages_to(sessions, case.case_id, Party.BUYER)
    assert any(m.startswith("平台已同意退货,请寄回商品") for m in to_buyer)
    withdraw = ActionRequest(Action.WITHDRAW, Role.BUYER, case.buyer_id)
    assert await handle.execute_update(CaseWorkflow.act, withdraw) == CaseStatus.WITHDRAWN
