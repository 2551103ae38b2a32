"""WF-06: the Temporal dev server SIGKILLed and started again on its database file and port. Running cases are still
running and their timers still fire (a T-MERCHANT that runs out after the restart steps in), a completed case is
still there, and the API and the worker carry on without a restart of their own. The recovery times are printed
(run with `-s` to see them)."""

import os
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
import pytest_asyncio
from temporalio.client import WorkflowExecutionStatus

from devtools.run_prod import Fleet
from tests.e2e.fleet_helpers import (
    delivered_order,
    fleet_on_its_own_server,
    refund_case,
    temporal_client,
    workflow_view,
)
from tests.e2e.test_refund_story import token
from tests.support.failover import Failover
from tests.support.payment_server import PaymentServer
from tests.support.polling import eventually
from tests.support.remedy_servers import CourierServer, FulfilmentServer

pytestmark = pytest.mark.e2e
T_MERCHANT_SECONDS = 10  # runs out after the restart (≈ 1-3 s), even on a slow machine


@pytest_asyncio.fixture(scope="module")
async def service_alone(
    database_url: str,
    owner_url: str,
    payment_server: PaymentServer,
    fulfilment_server: FulfilmentServer,
    courier_server: CourierServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Fleet]:
    """An API and a worker on a dev server of their own, which the test may kill."""
    if os.environ.get("AFTERSALES_TEST_DATABASE_URL"):
        pytest.skip(
            "WF-06 is about Temporal's own file, not the database: the SQLite run has it (the PostgreSQL run "
            "restarts Temporal in WF-12, tests/e2e/test_production_shape.py)"
        )
    async with fleet_on_its_own_server(
        tmp_path_factory.mktemp("restart"),
        database_url,
        owner_url,
        (payment_server.url, fulfilment_server.url, courier_server.url),
        apis=1,
        workers=1,
        AFTERSALES_T_MERCHANT=f"{T_MERCHANT_SECONDS}s",
    ) as fleet:
        yield fleet


async def test_after_the_temporal_server_is_killed_and_restarted_cases_run_on_and_timers_fire(
    service_alone: Fleet, payment_server: PaymentServer
) -> None:
    fleet, temporal = service_alone, service_alone.temporal
    assert temporal is not None
    shop = f"s-{uuid.uuid4().hex[:8]}"
    as_merchant, as_agent = token("merchant", "clerk-1", shop), token("agent", "agent-1")
    async with httpx.AsyncClient(timeout=15) as http:
        api = Failover(http, fleet.service.base_urls, within=60)
        done_id = await _open(api, shop)
        approved = await api.post(f"/cases/{done_id}/actions", {"action": "approve"}, as_merchant)
        assert approved.json()["status"] == "resolved", approved.text
        client = await temporal_client(fleet)
        await eventually(lambda: workflow_view(client, done_id), lambda view: view[2] == _COMPLETED)
        waiting_id = await _open(api, shop)
        deadline = datetime.fromisoformat((await api.get(f"/cases/{waiting_id}", as_merchant)).json()["deadline"])

        await temporal.kill()
        killed = time.monotonic()
        health = await http.get(f"{fleet.service.base_url}/health")
        assert (health.status_code, health.json()["error"]["message"]) == (503, "not answering: temporal")
        await temporal.start()
        answered = time.monotonic() - killed
        assert datetime.now(UTC) < deadline  # the merchant's deadline is still ahead: it runs out on the new server

        client = await temporal_client(fleet)
        assert await workflow_view(client, waiting_id) == ("awaiting_merchant", "merchant", _RUNNING)
        assert await workflow_view(client, done_id) == ("resolved", None, _COMPLETED)
        assert (await api.get(f"/cases/{done_id}", as_merchant)).json()["status"] == "resolved"
        fresh_id = await _open(api, shop)  # the API answers again, without a restart of its own
        opened = time.monotonic() - killed
        approved = await api.post(f"/cases/{fresh_id}/actions", {"action": "approve"}, as_merchant)
        assert approved.json()["status"] == "resolved", approved.text  # the worker works again too
        resolved = time.monotonic() - killed

        async def waiting_case() -> dict[str, object]:
            case: dict[str, object] = (await api.get(f"/cases/{waiting_id}", as_merchant)).json()
            return case

        stepped_in = await eventually(
            waiting_case, lambda case: case["status"] != "awaiting_merchant", within=T_MERCHANT_SECONDS + 30
        )
        late = (datetime.now(UTC) - deadline).total_seconds()
        assert (stepped_in["status"], stepped_in["awaiting"]) == ("in_arbitration", "agent")  # no photo: an agent
        decide = {"action": "decide", "outcome": "refund", "rationale": "商家超时,支持买家"}
        decided = await api.post(f"/cases/{waiting_id}/actions", decide, as_agent)
        assert decided.json()["status"] == "resolved", decided.text
        timeline = (await api.get(f"/cases/{waiting_id}/timeline", as_merchant)).json()["items"]

    print(
        f"\nWF-06 Temporal SIGKILLed and restarted on its file: answering again after {answered:.1f} s; a case opened "
        f"through the API {opened:.1f} s and another resolved by the worker {resolved:.1f} s after the kill; the "
        f"deadline that ran out after the restart stepped in within {late:.1f} s"
    )
    assert [e["type"] for e in timeline].count("deadline_passed") == 1
    for case_id in (done_id, waiting_id, fresh_id):
        assert len(payment_server.payments_for(f"case-{case_id}:refund:1")) == 1
    assert fleet.service.exited() is None


_RUNNING, _COMPLETED = WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.COMPLETED


async def _open(api: Failover, shop: str) -> str:
    buyer = f"b-{uuid.uuid4().hex[:8]}"
    opened = await api.post("/cases", refund_case(await delivered_order(api, buyer, shop)), token("buyer", buyer))
    assert opened.status_code == 201, opened.text
    case_id: str = opened.json()["case_id"]
    return case_id
