"""The §7 menu carried out on the time-skipping server: the difference refunded through the ledger (its amount
required), an emergency transfer shipped from the nearest warehouse with stock, a faster transport for a perishable
parcel stuck on the way."""

from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.adapters.fulfilment import FakeFulfilment
from activities.adapters.payments import FakePaymentProvider
from models.db import transaction
from models.order import Order
from rulebook.enums import Action, CaseKind, CaseStatus, Party, Resolution, Role
from tests.builders import add_case, add_order, listing
from tests.workflows.support import event_types, events_of, ledger, paid, start, stored
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest, CaseInput

Sessions = async_sessionmaker[AsyncSession]
Handle = WorkflowHandle[CaseWorkflow, CaseStatus]


def resolve(case: CaseInput, resolution: Resolution, **fields: object) -> ActionRequest:
    return ActionRequest(Action.RESOLVE, Role.MERCHANT, case.shop_id, resolution=resolution, **fields)  # type: ignore[arg-type]


async def oversold(env: WorkflowEnvironment, queue: str, sessions: Sessions) -> tuple[Handle, CaseInput]:
    case = await add_case(sessions, await add_order(sessions, shipped=False), kind=CaseKind.OVERSOLD)
    return await start(env, queue, case), case


@pytest.fixture
def stock(fulfilment: FakeFulfilment) -> Iterator[dict[str, dict[str, int]]]:
    """The fake's stock of every order's item (`tee-1`), reset after the test."""
    yield fulfilment.stock_by_sku
    fulfilment.stock_by_sku.pop("tee-1", None)


def refused(error: pytest.ExceptionInfo[WorkflowUpdateFailedError]) -> str | None:
    cause = error.value.cause
    assert isinstance(cause, ApplicationError)
    return cause.type


async def test_a_similar_item_with_the_difference_refunded_needs_the_amount_and_refunds_it_once(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, payments: FakePaymentProvider
) -> None:
    handle, case = await oversold(time_skipping_env, task_queue, sessions)
    similar = Resolution.RECOMMEND_SIMILAR_REFUND_DIFFERENCE

    with pytest.raises(WorkflowUpdateFailedError) as error:
        await handle.execute_update(CaseWorkflow.act, resolve(case, similar))
    assert refused(error) == "invalid_request"
    with pytest.raises(WorkflowUpdateFailedError) as error:
        await handle.execute_update(CaseWorkflow.act, resolve(case, similar, amount_cents=case.amount_cents + 1))
    assert refused(error) == "invalid_amount"

    status = await handle.execute_update(CaseWorkflow.act, resolve(case, similar, amount_cents=1200))

    assert status == CaseStatus.RESOLVED
    [entry] = await ledger(sessions, case.case_id)
    assert (entry.kind, entry.amount_cents, entry.status) == ("refund", 1200, "succeeded")
    assert paid(payments, case) == [f"case-{case.case_id}:refund:1"]
    assert (await event_types(sessions, case.case_id))[-3:] == ["refund_executed", "order_unlocked", "case_closed"]


async def test_an_emergency_transfer_ships_fastest_from_the_nearest_warehouse_with_stock(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    sessions: Sessions,
    fulfilment: FakeFulfilment,
    stock: dict[str, dict[str, int]],
) -> None:
    stock["tee-1"] = {"WH-SH": 0, "WH-HZ": 2, "WH-GZ": 9}
    handle, case = await oversold(time_skipping_env, task_queue, sessions)

    status = await handle.execute_update(CaseWorkflow.act, resolve(case, Resolution.EMERGENCY_TRANSFER))

    assert status == CaseStatus.REPLACEMENT_IN_TRANSIT
    [created] = await events_of(sessions, case.case_id, "reshipment_created")
    assert created.data["warehouse"] == "WH-HZ"
    assert f"case-{case.case_id}:reship:1" in fulfilment.calls


async def test_an_emergency_transfer_with_no_stock_anywhere_goes_to_an_agent_with_the_reason(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, stock: dict[str, dict[str, int]]
) -> None:
    stock["tee-1"] = {"WH-SH": 0, "WH-HZ": 0}
    handle, case = await oversold(time_skipping_env, task_queue, sessions)

    status = await handle.execute_update(CaseWorkflow.act, resolve(case, Resolution.EMERGENCY_TRANSFER))

    assert status == CaseStatus.IN_ARBITRATION
    assert (await stored(sessions, case.case_id)).awaiting == Party.AGENT
    [failed] = await events_of(sessions, case.case_id, "reshipment_failed")
    assert "in stock" in failed.data["reason"]


async def test_a_faster_transport_for_a_perishable_parcel_is_upgraded_once(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, fulfilment: FakeFulfilment
) -> None:
    order = await add_order(sessions, delivered=False)
    async with transaction(sessions) as session:
        row = await session.get(Order, order.order_id)
        assert row is not None
        row.items = [{**row.items[0], "listing": listing(perishable=True)}]
        session.add(row)
    case = await add_case(sessions, order, kind=CaseKind.LOGISTICS_STALLED)
    handle = await start(time_skipping_env, task_queue, case)

    status = await handle.execute_update(CaseWorkflow.act, resolve(case, Resolution.FASTER_TRANSPORT))

    assert status == CaseStatus.RESOLVED
    [upgraded] = await events_of(sessions, case.case_id, "transport_upgraded")
    assert upgraded.data["reference"].startswith("UP-") and upgraded.data["tracking_no"]
    assert [k for k in fulfilment.calls if k.startswith(f"case-{case.case_id}:")] == [f"case-{case.case_id}:upgrade:1"]
