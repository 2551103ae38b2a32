"""Returns go somewhere: a return granted by R-TIMEOUT (no merchant to name an address) goes to the shop's default
return address; with none the buyer is not asked to ship to nowhere and an agent takes the case. A reshipment's
delivery and a finished exchange say what happened. Time-skipping server, real activities and database."""

from datetime import timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import WorkflowEnvironment

from models.db import transaction
from models.order import Shipment, TrackingEventRow
from models.shop_settings import ShopSettings
from rulebook.enums import CaseKind, CaseStatus, Party, ReasonCode, TrackingStatus
from tests.builders import add_case, add_order, new_id
from tests.support.polling import eventually
from tests.workflows.support import event_types, events_of, messages_to, start, stored
from workflows.messages import CaseInput

Sessions = async_sessionmaker[AsyncSession]
DAY = timedelta(days=1)
DEFAULT = "杭州市余杭区退货仓 B-2"


async def seven_day_return(env: WorkflowEnvironment, sessions: Sessions, default: str | None) -> CaseInput:
    """A return_refund without reason, delivered a day ago (R-7D grants it); `default`: the shop's return address."""
    order = await add_order(sessions, shipped=False)
    delivered_at = await env.get_current_time() - DAY
    async with transaction(sessions) as session:
        tracking_no = new_id("SF")
        session.add(Shipment(order_id=order.order_id, carrier="SF", tracking_no=tracking_no))
        session.add(TrackingEventRow(tracking_no=tracking_no, status=TrackingStatus.DELIVERED, at=delivered_at))
        if default is not None:
            session.add(ShopSettings(shop_id=order.shop_id, return_address=default))
    return await add_case(sessions, order, kind=CaseKind.RETURN_REFUND, reason=ReasonCode.NO_REASON)


async def after_the_merchants_silence(
    env: WorkflowEnvironment, queue: str, sessions: Sessions, case: CaseInput
) -> None:
    await start(env, queue, case)
    await env.sleep(case.timers.merchant + timedelta(seconds=10))
    await eventually(lambda: stored(sessions, case.case_id), lambda c: c.status != CaseStatus.AWAITING_MERCHANT)


async def test_a_return_granted_by_r_timeout_goes_to_the_shops_default_address(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await seven_day_return(time_skipping_env, sessions, DEFAULT)
    await after_the_merchants_silence(time_skipping_env, task_queue, sessions, case)

    waiting = await stored(sessions, case.case_id)
    assert (waiting.status, waiting.awaiting) == (CaseStatus.AWAITING_RETURN_SHIPMENT, Party.BUYER)
    [requested] = await events_of(sessions, case.case_id, "return_requested")
    assert (requested.data["return_address"], requested.data["granted_by"]) == (DEFAULT, "system")
    assert any(DEFAULT in m for m in await messages_to(sessions, case.case_id, Party.BUYER))


async def test_without_a_default_address_the_case_goes_to_an_agent_not_to_the_buyer(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await seven_day_return(time_skipping_env, sessions, None)
    await after_the_merchants_silence(time_skipping_env, task_queue, sessions, case)

    waiting = await stored(sessions, case.case_id)
    assert (waiting.status, waiting.awaiting, waiting.decision) == (CaseStatus.IN_ARBITRATION, Party.AGENT, None)
    types = await event_types(sessions, case.case_id)
    assert "return_address_missing" in types and "return_requested" not in types
    to_buyer = await messages_to(sessions, case.case_id, Party.BUYER)
    assert not any("请寄回商品" in m for m in to_buyer)
    assert any("暂不需寄回" in m for m in to_buyer)
