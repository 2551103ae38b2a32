"""A decided reshipment is carried out through fulfilment, and the case resolves only when its parcel is delivered
(time-skipping server, real activities and database, the fake fulfilment service)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.adapters.courier import FakeCourier
from activities.adapters.fulfilment import FakeFulfilment
from models.order import Shipment
from rulebook.enums import Action, CaseKind, CaseStatus, Outcome, Party, ReasonCode, Role, TrackingStatus
from tests.builders import add_case, add_order
from tests.support.polling import eventually
from tests.workflows.support import event_types, events_of, merchant, messages_to, start, stored
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest, CaseInput, TrackingUpdate

Sessions = async_sessionmaker[AsyncSession]
Handle = WorkflowHandle[CaseWorkflow, CaseStatus]
SECOND = timedelta(seconds=1)


async def not_received(env: WorkflowEnvironment, queue: str, sessions: Sessions) -> tuple[Handle, CaseInput]:
    case = await add_case(sessions, await add_order(sessions), kind=CaseKind.NOT_RECEIVED, reason=ReasonCode.OTHER)
    return await start(env, queue, case), case


async def past_the_merchant(env: WorkflowEnvironment, sessions: Sessions, case: CaseInput) -> None:
    """T-MERCHANT runs out: R-TIMEOUT with R-NOT-RECEIVED (delivered, no courier photo) decides a reshipment."""
    await env.sleep(case.timers.merchant + SECOND)
    await eventually(lambda: stored(sessions, case.case_id), lambda c: c.status != CaseStatus.AWAITING_MERCHANT)


def reship_keys(fulfilment: FakeFulfilment, case: CaseInput) -> list[str]:
    return [key for key in fulfilment.calls if key.startswith(f"case-{case.case_id}:reship:")]


async def track(handle: Handle, tracking_no: str, status: TrackingStatus) -> CaseStatus:
    update = TrackingUpdate(tracking_no, status, datetime.now(UTC), "上海")
    return await handle.execute_update(CaseWorkflow.tracking, update)


async def test_a_silent_merchant_gets_the_goods_reshipped_and_the_delivery_resolves_the_case(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, fulfilment: FakeFulfilment
) -> None:
    handle, case = await not_received(time_skipping_env, task_queue, sessions)
    await past_the_merchant(time_skipping_env, sessions, case)

    waiting = await stored(sessions, case.case_id)
    assert waiting.status == CaseStatus.REPLACEMENT_IN_TRANSIT  # decided, not yet resolved
    assert waiting.decision is not None and waiting.decision["outcome"] == Outcome.RESHIP
    (created,) = await events_of(sessions, case.case_id, "reshipment_created")
    assert created.data["business_key"] == f"case-{case.case_id}:reship:1"
    assert created.data["reference"].startswith("RS-") and created.data["warehouse"] == "WH-SH"
    assert reship_keys(fulfilment, case) == [f"case-{case.case_id}:reship:1"]
    tracking_no = created.data["tracking_no"]
    async with sessions() as session:
        parcel = (await session.exec(select(Shipment).where(Shipment.tracking_no == tracking_no))).one()
    assert (parcel.case_id, parcel.direction) == (case.case_id, "replacement")  # the feed forwards its events

    assert await track(handle, tracking_no, TrackingStatus.IN_TRANSIT) == CaseStatus.REPLACEMENT_IN_TRANSIT
    assert await track(handle, tracking_no, TrackingStatus.DELIVERED) == CaseStatus.RESOLVED
    assert (await event_types(sessions, case.case_id))[-5:] == [
        "decision_made",
        "reshipment_created",
        "tracking_event",
        "tracking_event",
        "case_closed",
    ]
    assert reship_keys(fulfilment, case) == [f"case-{case.case_id}:reship:1"]  # shipped once
    to_buyer = await messages_to(sessions, case.case_id, Party.BUYER)
    assert any(tracking_no in m for m in to_buyer)
    assert to_buyer[-2:] == [
        "补发商品已签收。",
        "本次售后已结束:已解决。",
    ]  # a reshipment, not an exchange's replacement
    assert not any("换货" in m for m in to_buyer)
    assert await handle.result() == CaseStatus.RESOLVED


async def test_a_reshipment_that_stalls_goes_to_an_agent(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    _, case = await not_received(time_skipping_env, task_queue, sessions)
    await past_the_merchant(time_skipping_env, sessions, case)

    await time_skipping_env.sleep(case.timers.stall + SECOND)

    await eventually(lambda: stored(sessions, case.case_id), lambda c: c.status == CaseStatus.IN_ARBITRATION)
    assert (await event_types(sessions, case.case_id))[-2:] == ["reshipment_created", "deadline_passed"]
    passed = (await events_of(sessions, case.case_id, "deadline_passed"))[-1]  # the first was T-MERCHANT's
    assert passed.data["case_status"] == CaseStatus.REPLACEMENT_IN_TRANSIT


async def test_a_reshipment_fulfilment_refuses_for_good_goes_to_an_agent_with_the_reason(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, fulfilment: FakeFulfilment
) -> None:
    handle, case = await not_received(time_skipping_env, task_queue, sessions)
    fulfilment.refuse.add(f"case-{case.case_id}:reship:1")
    await past_the_merchant(time_skipping_env, sessions, case)

    waiting = await stored(sessions, case.case_id)
    assert (waiting.status, waiting.awaiting) == (CaseStatus.IN_ARBITRATION, Party.AGENT)
    (failed,) = await events_of(sessions, case.case_id, "reshipment_failed")
    assert "refused" in failed.data["reason"]
    assert "case_closed" not in await event_types(sessions, case.case_id)

    decide = ActionRequest(Action.DECIDE, Role.AGENT, "agent-1", outcome=Outcome.RESHIP, rationale="再发一次")
    assert await handle.execute_update(CaseWorkflow.act, decide) == CaseStatus.REPLACEMENT_IN_TRANSIT
    assert reship_keys(fulfilment, case)[-1] == f"case-{case.case_id}:reship:2"


@pytest.mark.parametrize("kind", [CaseKind.REFUND_ONLY, CaseKind.EXCHANGE])
async def test_an_accepted_reship_proposal_ships_through_fulfilment(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    sessions: Sessions,
    fulfilment: FakeFulfilment,
    kind: CaseKind,
) -> None:
    case = await add_case(sessions, await add_order(sessions), kind=kind, reason=ReasonCode.MISSING_ITEM)
    handle = await start(time_skipping_env, task_queue, case)

    propose = merchant(case, Action.PROPOSE, outcome=Outcome.RESHIP, message="少发的配件马上补寄")
    assert await handle.execute_update(CaseWorkflow.act, propose) == CaseStatus.AWAITING_BUYER
    accept = ActionRequest(Action.ACCEPT_PROPOSAL, Role.BUYER, case.buyer_id)
    assert await handle.execute_update(CaseWorkflow.act, accept) == CaseStatus.REPLACEMENT_IN_TRANSIT

    assert reship_keys(fulfilment, case) == [f"case-{case.case_id}:reship:1"]
    (created,) = await events_of(sessions, case.case_id, "reshipment_created")
    assert await track(handle, created.data["tracking_no"], TrackingStatus.DELIVERED) == CaseStatus.RESOLVED


async def test_a_not_received_case_opens_with_the_couriers_record_and_asks_both_parties_for_proof(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, courier: FakeCourier
) -> None:
    order = await add_order(sessions)
    async with sessions() as session:
        parcel = (await session.exec(select(Shipment).where(Shipment.order_id == order.order_id))).one()
    courier.photos.add(parcel.tracking_no)
    case = await add_case(sessions, order, kind=CaseKind.NOT_RECEIVED)
    handle = await start(time_skipping_env, task_queue, case)

    [record] = await events_of(sessions, case.case_id, "courier_delivery_record")
    assert (record.data["photo_ref"], record.data["tracking_no"]) == (f"photo-{parcel.tracking_no}", parcel.tracking_no)
    assert record.data["reference"].startswith("DR-") and record.data["evidence"] == "system"
    asked = await events_of(sessions, case.case_id, "evidence_requested")
    assert [e.data["from"] for e in asked] == [Party.BUYER, Party.MERCHANT]
    assert any("取件码" in m for m in await messages_to(sessions, case.case_id, Party.BUYER))
    assert courier.calls.count(f"case-{case.case_id}:delivery_record:1") == 1
    await handle.execute_update(CaseWorkflow.act, ActionRequest(Action.WITHDRAW, Role.BUYER, case.buyer_id))
