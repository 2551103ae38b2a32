"""What the production-shape tests share: the fleet on its own dev server (so it may be killed), orders through a
failing-over client, and the workflow's own view of a case."""

import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
from temporalio.client import Client, WorkflowExecutionStatus

from devtools.run_prod import Fleet, running_fleet
from temporal_options import TemporalTarget
from tests.api.helpers import order_body
from tests.e2e.conftest import service_env
from tests.e2e.test_refund_story import token
from tests.support.db import migrate
from tests.support.failover import Failover
from worker import connect
from workflows import search_attributes as sa

SYSTEM = token("system", "order-feed")


def skip_unless_postgres() -> None:
    """Several processes against one database is PostgreSQL's job: SQLite serialises every writer on one file lock,
    so the SQLite run leaves these tests to the PostgreSQL one (AFTERSALES_TEST_DATABASE_URL, as tests/conftest.py)."""
    configured = os.environ.get("AFTERSALES_TEST_DATABASE_URL")
    if not configured or make_url(configured).get_backend_name() != "postgresql":
        pytest.skip("the production shape runs on PostgreSQL: it runs in `make pytest-postgres` (part of make test)")
    url = make_url(configured)
    try:
        socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=3).close()
    except OSError:
        pytest.skip(f"PostgreSQL is not reachable at {url.render_as_string(hide_password=True)}")


@asynccontextmanager
async def fleet_on_its_own_server(
    directory: Path, database_url: str, owner_url: str, outside: tuple[str, str, str], *, apis: int, workers: int,
    **settings: str,
) -> AsyncIterator[Fleet]:  # fmt: skip
    """`make prod-local`'s processes (devtools.run_prod.running_fleet) on a migrated database and a dev server of
    their own, with the e2e settings and `settings`."""
    await migrate(owner_url, database_url)
    all_settings = service_env(database_url, directory, *outside, **settings)
    async with running_fleet(directory, all_settings, apis=apis, workers=workers) as fleet:
        yield fleet


async def delivered_order(api: Failover, buyer: str, shop: str) -> str:
    order_id, tracking_no = f"o-{uuid.uuid4().hex[:10]}", f"SF{uuid.uuid4().hex[:10]}"
    _created(await api.post("/orders", order_body(order_id, buyer, shop), SYSTEM), "order_exists")
    shipment = {"carrier": "SF", "tracking_no": tracking_no}
    _created(await api.post(f"/orders/{order_id}/shipments", shipment, SYSTEM), "shipment_exists")
    at = datetime.now(UTC).isoformat()
    delivered = {"tracking_no": tracking_no, "status": "delivered", "location": "上海", "at": at}
    assert (await api.post("/logistics/events", delivered, SYSTEM)).status_code == 202
    return order_id


def _created(response: httpx.Response, exists: str) -> None:
    """201, or — for a retry whose first attempt died with its API after storing the row — 409 `exists`: the key's
    takeover runs the route again, which finds the row (only openings and actions name their effect by the key)."""
    code = response.json().get("error", {}).get("code") if response.status_code == 409 else None
    assert response.status_code == 201 or code == exists, response.text


def refund_case(order_id: str) -> dict[str, Any]:
    return {"order_id": order_id, "kind": "refund_only", "reason": "quality_defect", "description": "开线"}


async def temporal_client(fleet: Fleet) -> Client:
    assert fleet.temporal is not None
    return await connect(TemporalTarget(fleet.temporal.address))


async def workflow_view(client: Client, case_id: str) -> tuple[str | None, str | None, WorkflowExecutionStatus | None]:
    """The case as its workflow knows it: the CaseStatus and AwaitingParty it published, and whether it runs."""
    described = await client.get_workflow_handle(f"case-{case_id}").describe()
    attributes = described.typed_search_attributes
    return attributes.get(sa.CASE_STATUS), attributes.get(sa.AWAITING_PARTY), described.status
