"""Fulfilment and courier calls take effect once per business key, over real HTTP, whatever fails on the way."""

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import ActivityEnvironment

from activities.adapters.courier import FakeCourier, Interception
from activities.adapters.courier_http import HttpCourier
from activities.adapters.fulfilment import FakeFulfilment, Item, Shipped
from activities.adapters.fulfilment_http import HttpFulfilment
from activities.adapters.remedy_errors import RemedyUnavailable
from activities.remedies import RemedyActivities
from models.db import transaction
from models.remedy_call import RemedyCallRow
from tests.builders import add_case, add_order
from tests.support.remedy_servers import (
    CourierServer,
    FulfilmentServer,
    running_courier_server,
    running_fulfilment_server,
)
from workflows.remedy_messages import ItemQuantity, RemedyAction, RemedyCall
from workflows.steps import REMEDY_HEARTBEAT_TIMEOUT

Sessions = async_sessionmaker[AsyncSession]


@pytest_asyncio.fixture
async def servers() -> AsyncIterator[tuple[FulfilmentServer, CourierServer]]:
    async with running_fulfilment_server() as warehouses, running_courier_server() as courier:
        yield warehouses, courier


@pytest_asyncio.fixture
async def remedies(
    sessions: Sessions, servers: tuple[FulfilmentServer, CourierServer]
) -> AsyncIterator[RemedyActivities]:
    timeout = timedelta(seconds=2)
    async with (
        HttpFulfilment(servers[0].url, timeout=timeout) as fulfilment,
        HttpCourier(servers[1].url, timeout=timeout) as courier,
    ):
        yield RemedyActivities(sessions, fulfilment, courier)


async def a_call(sessions: Sessions, action: RemedyAction, **fields: object) -> RemedyCall:
    case = await add_case(sessions, await add_order(sessions))
    key = f"case-{case.case_id}:{action}:1"
    return RemedyCall(case.case_id, case.order_id, key, action, **fields)  # type: ignore[arg-type]


async def rows(sessions: Sessions, key: str) -> list[RemedyCallRow]:
    async with sessions() as session:
        return list((await session.exec(select(RemedyCallRow).where(RemedyCallRow.business_key == key))).all())


async def test_a_reshipment_that_fails_then_succeeds_ships_once(
    sessions: Sessions, servers: tuple[FulfilmentServer, CourierServer], remedies: RemedyActivities
) -> None:
    warehouses = servers[0]
    call = await a_call(sessions, RemedyAction.RESHIP, items=(ItemQuantity("tee-1", 1),), fastest=True)
    warehouses.fail_next(1, status=503)

    with pytest.raises(RemedyUnavailable):
        await ActivityEnvironment().run(remedies.carry_out, call)
    assert [r.status for r in await rows(sessions, call.business_key)] == ["pending"]
    receipt = await ActivityEnvironment().run(remedies.carry_out, call)
    again = await ActivityEnvironment().run(remedies.carry_out, call)

    assert receipt.done and receipt == again
    assert receipt.result["tracking_no"] == warehouses.effects[0].answer["tracking_no"]
    assert len(warehouses.effects) == 1 and len(warehouses.calls) == 2  # the third run read its row
    assert [(r.status, r.external_ref) for r in await rows(sessions, call.business_key)] == [
        ("succeeded", receipt.reference)
    ]


async def test_a_refusal_is_final_and_says_why(
    sessions: Sessions, servers: tuple[FulfilmentServer, CourierServer], remedies: RemedyActivities
) -> None:
    servers[0].refuse_next(409, "the order has left the warehouse")
    call = await a_call(sessions, RemedyAction.CANCEL_FULFILMENT)

    receipt = await ActivityEnvironment().run(remedies.carry_out, call)

    assert (receipt.done, receipt.reason) == (False, "the order has left the warehouse")
    assert [r.status for r in await rows(sessions, call.business_key)] == ["failed"]
    assert (await ActivityEnvironment().run(remedies.carry_out, call)) == receipt
    assert len(servers[0].calls) == 1


async def test_courier_calls_carry_the_parcel_and_the_answer(
    sessions: Sessions, servers: tuple[FulfilmentServer, CourierServer], remedies: RemedyActivities
) -> None:
    servers[1].intercept_outcome = "too_late"
    servers[1].photos = {"SF9": "photo-9"}
    intercept = await a_call(sessions, RemedyAction.INTERCEPT, carrier="SF", tracking_no="SF9")
    record = await a_call(sessions, RemedyAction.DELIVERY_RECORD, carrier="SF", tracking_no="SF9")

    intercepted = await ActivityEnvironment().run(remedies.carry_out, intercept)
    recorded = await ActivityEnvironment().run(remedies.carry_out, record)

    assert intercepted.result["outcome"] == "too_late" and intercepted.reference.startswith("IC-")
    assert recorded.result["photo_ref"] == "photo-9"


async def test_the_database_refuses_a_second_row_for_a_business_key(sessions: Sessions) -> None:
    call = await a_call(sessions, RemedyAction.URGE)
    row = {"business_key": call.business_key, "case_id": call.case_id, "action": "urge"}
    async with transaction(sessions) as session:
        session.add(RemedyCallRow(**row))
    with pytest.raises(IntegrityError):
        async with transaction(sessions) as session:
            session.add(RemedyCallRow(**row))


class _SlowWarehouses(FakeFulfilment):
    """A warehouse that takes its time to answer a reshipment, as one that is overloaded does."""

    async def reship(
        self, *, idempotency_key: str, order_id: str, items: list[Item], warehouse: str | None, fastest: bool
    ) -> Shipped:
        await asyncio.sleep(2.5)
        return await super().reship(
            idempotency_key=idempotency_key, order_id=order_id, items=items, warehouse=warehouse, fastest=fastest
        )


class _SlowCourier(FakeCourier):
    async def intercept(self, *, idempotency_key: str, carrier: str, tracking_no: str) -> Interception:
        await asyncio.sleep(2.5)
        return await super().intercept(idempotency_key=idempotency_key, carrier=carrier, tracking_no=tracking_no)


@pytest.mark.parametrize("action", [RemedyAction.RESHIP, RemedyAction.INTERCEPT], ids=["reshipment", "interception"])
async def test_a_remedy_heartbeats_while_the_outside_system_is_slow(sessions: Sessions, action: RemedyAction) -> None:
    """A worker killed mid-call is noticed within the workflow's heartbeat timeout (5 s), not the call's 30 s."""
    items = (ItemQuantity("tee-1", 1),) if action == RemedyAction.RESHIP else ()
    call = await a_call(sessions, action, items=items)
    environment = ActivityEnvironment()
    beats: list[float] = []
    environment.on_heartbeat = lambda *_: beats.append(asyncio.get_running_loop().time())

    receipt = await environment.run(RemedyActivities(sessions, _SlowWarehouses(), _SlowCourier()).carry_out, call)

    assert receipt.reference
    assert len(beats) >= 3  # one at once, then every second of the 2.5 s wait
    assert max(b - a for a, b in itertools.pairwise(beats)) < REMEDY_HEARTBEAT_TIMEOUT.total_seconds()
