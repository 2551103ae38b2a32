"""R-NOT-RECEIVED reads the courier's delivery record fetched when a `not_received` case opened (product.md §6): no
photo proof → lean to the buyer (reship); a photo of the delivery and no counter-evidence from the buyer → an agent.
Time-skipping server, real activities and database, the fake courier."""

from datetime import timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import WorkflowEnvironment

from activities.adapters.courier import FakeCourier
from models.order import Shipment
from models.timeline import CaseEvent
from rulebook.enums import CaseKind, CaseStatus, ReasonCode
from tests.builders import add_case, add_order
from tests.support.polling import eventually
from tests.workflows.support import events_of, start, stored
from workflows.messages import CaseInput

Sessions = async_sessionmaker[AsyncSession]
SECOND = timedelta(seconds=1)


async def not_received(sessions: Sessions, courier: FakeCourier, photo: bool) -> CaseInput:
    order = await add_order(sessions)
    async with sessions() as session:
        parcel = (await session.exec(select(Shipment).where(Shipment.order_id == order.order_id))).one()
    if photo:
        courier.photos.add(parcel.tracking_no)
    return await add_case(sessions, order, kind=CaseKind.NOT_RECEIVED, reason=ReasonCode.NOT_RECEIVED)


async def decided_after_the_merchants_silence(
    env: WorkflowEnvironment, queue: str, sessions: Sessions, case: CaseInput
) -> CaseEvent:
    await start(env, queue, case)
    await env.sleep(case.timers.merchant + SECOND)
    await eventually(lambda: stored(sessions, case.case_id), lambda c: c.status != CaseStatus.AWAITING_MERCHANT)
    (decided,) = await events_of(sessions, case.case_id, "decision_made")
    return decided


async def test_a_record_without_a_photo_leans_to_the_buyer_and_the_goods_are_reshipped(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, courier: FakeCourier
) -> None:
    case = await not_received(sessions, courier, photo=False)
    decided = await decided_after_the_merchants_silence(time_skipping_env, task_queue, sessions, case)

    (record,) = await events_of(sessions, case.case_id, "courier_delivery_record")
    assert record.data["photo_ref"] is None
    assert (decided.data["outcome"], "R-NOT-RECEIVED" in decided.data["rules"]) == ("reship", True)
    assert f"courier_record:{record.data['reference']}" in decided.data["evidence_ids"]
    assert (await stored(sessions, case.case_id)).status == CaseStatus.REPLACEMENT_IN_TRANSIT


async def test_a_photo_of_the_delivery_and_no_counter_evidence_goes_to_an_agent(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, courier: FakeCourier
) -> None:
    case = await not_received(sessions, courier, photo=True)
    decided = await decided_after_the_merchants_silence(time_skipping_env, task_queue, sessions, case)

    (record,) = await events_of(sessions, case.case_id, "courier_delivery_record")
    assert str(record.data["photo_ref"]).startswith("photo-")
    assert (decided.data["outcome"], "R-NOT-RECEIVED" in decided.data["rules"]) == ("to_agent", True)
    assert f"courier_record:{record.data['reference']}" in decided.data["evidence_ids"]
    after = await stored(sessions, case.case_id)
    assert (after.status, after.awaiting) == (CaseStatus.IN_ARBITRATION, "agent")
