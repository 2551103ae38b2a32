"""The production shape `make prod-local` runs — two API processes and two workers against one PostgreSQL and one
Temporal server — and WF-12 on it: after SIGKILLs of a worker, an API and the Temporal server, the API's view of
every case equals its workflow's."""

import asyncio
import functools
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio.client import Client

from devtools.run_prod import Fleet
from tests.e2e.fleet_helpers import (
    delivered_order,
    fleet_on_its_own_server,
    refund_case,
    skip_unless_postgres,
    temporal_client,
    workflow_view,
)
from tests.e2e.test_refund_story import token
from tests.support.failover import Failover
from tests.support.payment_server import PaymentServer
from tests.support.polling import eventually
from tests.support.remedy_servers import CourierServer, FulfilmentServer

pytestmark = pytest.mark.e2e
CASES = 30


@pytest.fixture(scope="session")
def postgres_only() -> None:
    skip_unless_postgres()


@pytest_asyncio.fixture(scope="module")
async def fleet(
    postgres_only: None,
    database_url: str,
    owner_url: str,
    payment_server: PaymentServer,
    fulfilment_server: FulfilmentServer,
    courier_server: CourierServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Fleet]:
    async with fleet_on_its_own_server(
        tmp_path_factory.mktemp("fleet"),
        database_url,
        owner_url,
        (payment_server.url, fulfilment_server.url, courier_server.url),
        apis=2,
        workers=2,
        AFTERSALES_T_MERCHANT="1h",  # nothing runs out: every move is the test's
        AFTERSALES_IDEMPOTENCY_LEASE="2s",  # a request whose API was killed is taken over soon
        # 4 processes × 12 at most, beside the rest of the suite under max_connections; an action holds one of its
        # API's connections while its workflow answers, so 12 cover the 6 requests in flight at once with room.
        AFTERSALES_DATABASE_POOL_SIZE="4",
        AFTERSALES_DATABASE_MAX_OVERFLOW="8",
    ) as running:
        yield running


async def test_cases_opened_through_either_api_and_approved_through_the_other_resolve_once(
    fleet: Fleet, payment_server: PaymentServer
) -> None:
    shop = f"s-{uuid.uuid4().hex[:8]}"
    as_merchant = token("merchant", "clerk-1", shop)
    async with httpx.AsyncClient(timeout=60) as http:
        api = Failover(http, fleet.service.base_urls)

        async def open_and_approve(n: int) -> str:
            as_buyer = token("buyer", buyer := f"b-{uuid.uuid4().hex[:8]}")
            order_id = await delivered_order(api, buyer, shop)
            opened = await api.post("/cases", refund_case(order_id), as_buyer, via=n % 2)
            assert opened.status_code == 201, opened.text
            case_id: str = opened.json()["case_id"]
            approved = await api.post(f"/cases/{case_id}/actions", {"action": "approve"}, as_merchant, via=(n + 1) % 2)
            assert (approved.status_code, approved.json()["status"]) == (200, "resolved"), approved.text
            return case_id

        case_ids = await asyncio.gather(*(open_and_approve(n) for n in range(6)))
        for via in (0, 1):
            for case_id in case_ids:
                seen = (await api.get(f"/cases/{case_id}", as_merchant, via=via)).json()
                assert (seen["status"], seen["awaiting"]) == ("resolved", None)
    for case_id in case_ids:
        assert len(payment_server.payments_for(f"case-{case_id}:refund:1")) == 1
    assert fleet.service.exited() is None


@dataclass
class Plan:
    """One case's moves before and after the chaos, and where they leave it."""

    before: list[tuple[str, dict[str, Any]]]
    after: list[tuple[str, dict[str, Any]]]
    status: str
    awaiting: str | None
    pays: bool
    case_id: str = ""
    buyer: str = field(default_factory=lambda: f"b-{uuid.uuid4().hex[:8]}")


REJECT = ("merchant", {"action": "reject", "reason": "吊牌已拆"})
PROPOSE = ("merchant", {"action": "propose", "outcome": "partial_refund", "amount_cents": 2000, "message": "补偿20元"})
APPROVE = ("merchant", {"action": "approve"})
ESCALATE = ("buyer", {"action": "escalate", "reason": "协商不成"})
WITHDRAW = ("buyer", {"action": "withdraw", "reason": "不需要了"})
ACCEPT = ("buyer", {"action": "accept_proposal"})


def plans() -> list[Plan]:
    kinds = [
        lambda: Plan([], [APPROVE], "resolved", None, True),
        lambda: Plan([APPROVE], [], "resolved", None, True),
        lambda: Plan([REJECT], [ESCALATE], "in_arbitration", "agent", False),
        lambda: Plan([WITHDRAW], [], "withdrawn", None, False),
        lambda: Plan([PROPOSE], [ACCEPT], "resolved", None, True),
    ]
    return [kinds[n % len(kinds)]() for n in range(CASES)]


async def test_after_killing_a_worker_an_api_and_the_temporal_server_every_case_agrees_with_its_workflow(
    fleet: Fleet, payment_server: PaymentServer
) -> None:
    shop = f"s-{uuid.uuid4().hex[:8]}"
    as_merchant = token("merchant", "clerk-1", shop)
    cases, started = plans(), time.monotonic()
    async with httpx.AsyncClient(timeout=30) as http:
        api = Failover(http, fleet.service.base_urls)
        limit = asyncio.Semaphore(6)

        async def act(plan: Plan, moves: list[tuple[str, dict[str, Any]]]) -> None:
            for who, body in moves:
                headers = as_merchant if who == "merchant" else token("buyer", plan.buyer)
                # An opening cut off by a kill answers 201 and the case finishes opening by itself; until then its
                # workflow refuses actions with 409 `invalid_state`, "still opening".
                done = await eventually(
                    functools.partial(api.post, f"/cases/{plan.case_id}/actions", body, headers),
                    lambda response: "still opening" not in response.text,
                    within=30,
                )
                assert done.status_code == 200, done.text

        async def first_half(plan: Plan) -> None:
            async with limit:
                order_id = await delivered_order(api, plan.buyer, shop)
                opened = await api.post("/cases", refund_case(order_id), token("buyer", plan.buyer))
                assert opened.status_code == 201, opened.text
                plan.case_id = opened.json()["case_id"]
                await act(plan, plan.before)

        async with asyncio.TaskGroup() as first_moves:
            killing = first_moves.create_task(_chaos(fleet, cases, started))
            for plan in cases:
                first_moves.create_task(first_half(plan))
        chaos_log = killing.result()
        first_half_done = time.monotonic() - started

        async def second_half(plan: Plan) -> None:
            async with limit:
                await act(plan, plan.after)

        await asyncio.gather(*(second_half(plan) for plan in cases))
        driven = time.monotonic() - started
        client = await temporal_client(fleet)
        await eventually(lambda: _disagreements(api, client, cases, as_merchant), lambda wrong: wrong == [], within=20)
        agreed = time.monotonic() - started
        listed = (await api.get("/cases?limit=100", as_merchant)).json()["items"]

    print(
        f"\nWF-12 {CASES} cases over 2 APIs and 2 workers: {'; '.join(chaos_log)}; first moves done at "
        f"{first_half_done:.1f}s, all moves at {driven:.1f}s ({api.retries} retries), API = workflow for every case "
        f"at {agreed:.1f}s"
    )
    assert sorted(case["case_id"] for case in listed) == sorted(plan.case_id for plan in cases)  # one row per 201
    for plan in cases:
        moved = [p for p in payment_server.payments if p.idempotency_key.startswith(f"case-{plan.case_id}:")]
        assert len(moved) == (1 if plan.pays else 0), (plan, moved)
    assert fleet.service.exited() is None


async def _chaos(fleet: Fleet, cases: list[Plan], started: float) -> list[str]:
    """While the first moves go on: a worker killed, then an API and the Temporal server; each started again."""
    assert fleet.temporal is not None
    log = []
    await eventually(_opened(cases), lambda opened: opened >= CASES // 3, within=90)
    await fleet.service.workers[0].kill()
    log.append(f"worker-1 killed at {time.monotonic() - started:.1f}s")
    await eventually(_opened(cases), lambda opened: opened >= 2 * CASES // 3, within=90)
    await fleet.service.apis[0].kill()
    await fleet.temporal.kill()
    killed = time.monotonic()
    log.append(f"api-1 and the Temporal server killed at {killed - started:.1f}s")
    await asyncio.sleep(1)
    await fleet.temporal.start()
    log.append(f"Temporal answered again {time.monotonic() - killed:.1f}s after its kill")
    await asyncio.gather(fleet.service.workers[0].start(), fleet.service.apis[0].start())
    log.append(f"worker-1 and api-1 back {time.monotonic() - killed:.1f}s after the kill")
    return log


def _opened(cases: list[Plan]) -> Callable[[], Awaitable[int]]:
    async def opened() -> int:
        return sum(1 for plan in cases if plan.case_id)

    return opened


async def _disagreements(api: Failover, client: Client, cases: list[Plan], headers: dict[str, str]) -> list[str]:
    """Every case whose API view (status, awaiting) differs from its workflow's search attributes or from the plan."""
    wrong = []
    for plan in cases:
        seen = (await api.get(f"/cases/{plan.case_id}", headers)).json()
        status, awaiting, running = await workflow_view(client, plan.case_id)
        api_view, workflow = (seen["status"], seen["awaiting"]), (status, awaiting)
        if not api_view == workflow == (plan.status, plan.awaiting):
            wrong.append(f"{plan.case_id}: api {api_view}, workflow {workflow} {running}, planned {plan}")
    return wrong
