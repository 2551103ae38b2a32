"""An emergency transfer moves stock once from the nearest warehouse that holds it to the order's own warehouse
(the inventory feed's coordinates decide "nearest"), on the timeline with its reference, before the reshipment ships
from there; a transfer refused for good goes to an agent and nothing ships. Time-skipping server, real activities and
database, the fake fulfilment service."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import WorkflowEnvironment

from activities.adapters.fulfilment import FakeFulfilment
from models import order_locks
from models.db import transaction
from models.inventory import StockLevel
from models.order import Order
from models.types import utcnow
from rulebook.enums import Action, CaseKind, CaseStatus, Outcome, Party, Resolution, Role
from tests.builders import add_case, add_order
from tests.workflows.support import event_types, events_of, messages_to, start, stored
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest, CaseInput

Sessions = async_sessionmaker[AsyncSession]
SHANGHAI = {"province": "上海", "city": "上海", "lat": 31.23, "lng": 121.47}


def warehouse(sku: str, warehouse_id: str, available: int, city: str, lat: float, lng: float) -> StockLevel:
    return StockLevel(
        sku=sku,
        warehouse_id=warehouse_id,
        available=available,
        location={"province": city, "city": city},
        lat=lat,
        lng=lng,
    )


async def oversold_in_shanghai(sessions: Sessions, stock: list[dict[str, Any]]) -> tuple[CaseInput, str]:
    """An oversold order of its own SKU delivered to Shanghai; `stock` is the inventory feed's rows for that SKU."""
    sku = f"sku-{uuid.uuid4().hex[:8]}"
    order = await add_order(sessions, shipped=False)
    async with transaction(sessions) as session:
        row = await session.get(Order, order.order_id)
        assert row is not None
        row.items = [{**row.items[0], "sku": sku}]
        row.shipping_address = {**row.shipping_address, **SHANGHAI}
        session.add(row)
        for level in stock:
            session.add(warehouse(sku, **level))
    return await add_case(sessions, order, kind=CaseKind.OVERSOLD), sku


def transfer(case: CaseInput) -> ActionRequest:
    return ActionRequest(Action.RESOLVE, Role.MERCHANT, case.shop_id, resolution=Resolution.EMERGENCY_TRANSFER)


def keys(fulfilment: FakeFulfilment, case: CaseInput) -> list[str]:
    return [k for k in fulfilment.calls if k.startswith(f"case-{case.case_id}:")]


FEED = [
    {"warehouse_id": "w-sh", "available": 0, "city": "上海", "lat": 31.2, "lng": 121.5},  # the order's own, empty
    {"warehouse_id": "w-hz", "available": 3, "city": "杭州", "lat": 30.27, "lng": 120.15},  # nearest with stock
    {"warehouse_id": "w-bj", "available": 50, "city": "北京", "lat": 39.9, "lng": 116.4},
]


async def test_stock_moves_once_from_the_nearest_warehouse_with_it_and_the_goods_ship_from_the_orders_warehouse(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, fulfilment: FakeFulfilment
) -> None:
    case, sku = await oversold_in_shanghai(sessions, FEED)
    handle = await start(time_skipping_env, task_queue, case)

    status = await handle.execute_update(CaseWorkflow.act, transfer(case))

    assert status == CaseStatus.REPLACEMENT_IN_TRANSIT
    [moved] = await events_of(sessions, case.case_id, "stock_transferred")
    assert moved.data["reference"].startswith("TR-")
    assert (moved.data["sku"], moved.data["from_warehouse"], moved.data["to_warehouse"]) == (sku, "w-hz", "w-sh")
    assert moved.data["basis"] == "distance"
    [created] = await events_of(sessions, case.case_id, "reshipment_created")
    assert created.data["warehouse"] == "w-sh"
    types = await event_types(sessions, case.case_id)
    assert types.index("stock_transferred") < types.index("order_unlocked") < types.index("reshipment_created")
    assert keys(fulfilment, case) == [f"case-{case.case_id}:transfer:1", f"case-{case.case_id}:reship:1"]
    assert any("紧急调拨已完成" in m for m in await messages_to(sessions, case.case_id, Party.MERCHANT))


async def test_a_transfer_refused_for_good_goes_to_an_agent_and_nothing_ships(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, fulfilment: FakeFulfilment
) -> None:
    case, _ = await oversold_in_shanghai(sessions, FEED)
    fulfilment.refuse.add(f"case-{case.case_id}:transfer:1")
    handle = await start(time_skipping_env, task_queue, case)

    status = await handle.execute_update(CaseWorkflow.act, transfer(case))

    assert status == CaseStatus.IN_ARBITRATION
    assert (await stored(sessions, case.case_id)).awaiting == Party.AGENT
    [failed] = await events_of(sessions, case.case_id, "transfer_failed")
    assert "refused" in failed.data["reason"]
    assert keys(fulfilment, case) == [f"case-{case.case_id}:transfer:1"]
    assert "reshipment_created" not in await event_types(sessions, case.case_id)


async def test_no_warehouse_anywhere_holding_the_quantity_goes_to_an_agent(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, fulfilment: FakeFulfilment
) -> None:
    empty = [{**FEED[0]}, {**FEED[1], "available": 0}]
    case, sku = await oversold_in_shanghai(sessions, empty)
    fulfilment.stock_by_sku[sku] = {"w-sh": 0, "w-hz": 0}
    handle = await start(time_skipping_env, task_queue, case)

    assert await handle.execute_update(CaseWorkflow.act, transfer(case)) == CaseStatus.IN_ARBITRATION
    [failed] = await events_of(sessions, case.case_id, "transfer_failed")
    assert "to transfer to w-sh" in failed.data["reason"]
    assert keys(fulfilment, case) == []  # nothing moved, nothing shipped


async def test_an_oversold_case_an_agent_decides_lifts_its_orders_lock(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    """Not only the merchant's remedy: an oversold case closed by any path (here escalated and rejected by an agent)
    unlocks its order, on the timeline before the closing."""
    case, sku = await oversold_in_shanghai(sessions, FEED)
    async with transaction(sessions) as session:
        row = await session.get(Order, case.order_id)
        assert row is not None
        order_locks.lock(row, sku, utcnow())
        session.add(row)
    handle = await start(time_skipping_env, task_queue, case)
    escalate = ActionRequest(Action.ESCALATE, Role.MERCHANT, case.shop_id, reason="等补货")
    assert await handle.execute_update(CaseWorkflow.act, escalate) == CaseStatus.IN_ARBITRATION

    ruling = ActionRequest(Action.DECIDE, Role.AGENT, "agent-1", outcome=Outcome.REJECT, rationale="已补货,正常发货")
    assert await handle.execute_update(CaseWorkflow.act, ruling) == CaseStatus.REJECTED

    async with sessions() as session:
        order = await session.get(Order, case.order_id)
    assert order is not None and order.locked_at is None and order.unlocked_at is not None
    assert (await event_types(sessions, case.case_id))[-3:] == ["decision_made", "order_unlocked", "case_closed"]
