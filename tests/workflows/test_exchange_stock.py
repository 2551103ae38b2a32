"""An exchange checks stock before the buyer sends the goods back: in stock, the return goes ahead; out of stock
everywhere, the buyer is offered a refund they can accept (or let lapse to an agent)."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import WorkflowEnvironment

from activities.adapters.fulfilment import FakeFulfilment
from activities.adapters.payments import FakePaymentProvider
from rulebook.enums import Action, CaseKind, CaseStatus, Outcome, Party, Role
from tests.builders import add_case, add_order
from tests.support.polling import eventually
from tests.workflows.support import event_types, events_of, merchant, paid, start, stored
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def stock(fulfilment: FakeFulfilment) -> Iterator[dict[str, dict[str, int]]]:
    yield fulfilment.stock_by_sku
    fulfilment.stock_by_sku.pop("tee-1", None)


async def test_an_exchange_in_stock_asks_for_the_goods_back(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, stock: dict[str, dict[str, int]]
) -> None:
    stock["tee-1"] = {"WH-SH": 0, "WH-CD": 1}
    case = await add_case(sessions, await add_order(sessions), kind=CaseKind.EXCHANGE)
    handle = await start(time_skipping_env, task_queue, case)

    approve = merchant(case, Action.APPROVE, return_address="成都退货仓")
    assert await handle.execute_update(CaseWorkflow.act, approve) == CaseStatus.AWAITING_RETURN_SHIPMENT

    [checked] = await events_of(sessions, case.case_id, "stock_checked")
    assert (checked.data["in_stock"], checked.data["in"]) == (True, ["WH-CD"])
    assert (await event_types(sessions, case.case_id))[-1] == "return_requested"


async def test_an_exchange_out_of_stock_everywhere_offers_the_refund_the_buyer_accepts(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    sessions: Sessions,
    payments: FakePaymentProvider,
    stock: dict[str, dict[str, int]],
) -> None:
    stock["tee-1"] = {"WH-SH": 0, "WH-CD": 0}
    case = await add_case(sessions, await add_order(sessions), kind=CaseKind.EXCHANGE)
    handle = await start(time_skipping_env, task_queue, case)

    approve = merchant(case, Action.APPROVE, return_address="成都退货仓")
    assert await handle.execute_update(CaseWorkflow.act, approve) == CaseStatus.AWAITING_BUYER

    offered = await stored(sessions, case.case_id)
    assert offered.awaiting == Party.BUYER and "return_requested" not in await event_types(sessions, case.case_id)
    assert offered.proposal is not None and offered.proposal["outcome"] == Outcome.REFUND
    accept = ActionRequest(Action.ACCEPT_PROPOSAL, Role.BUYER, case.buyer_id)
    assert await handle.execute_update(CaseWorkflow.act, accept) == CaseStatus.RESOLVED
    assert paid(payments, case) == [f"case-{case.case_id}:refund:1"]


async def test_an_unanswered_refund_offer_goes_to_an_agent(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, stock: dict[str, dict[str, int]]
) -> None:
    stock["tee-1"] = {"WH-SH": 0}
    case = await add_case(sessions, await add_order(sessions), kind=CaseKind.EXCHANGE)
    handle = await start(time_skipping_env, task_queue, case)
    await handle.execute_update(CaseWorkflow.act, merchant(case, Action.APPROVE, return_address="仓"))

    await time_skipping_env.sleep(case.timers.buyer_reply + timedelta(seconds=1))

    await eventually(lambda: stored(sessions, case.case_id), lambda c: c.status == CaseStatus.IN_ARBITRATION)
