"""Each order exception opens by itself from the feeds, over real HTTP on the whole service (its own dev server,
database, worker with the scan schedule, API), and how soon: a stall within T-STALL + the scan period, a missed
shipment within the scan period of its ship-by (T-MISSED, 10 minutes in production), an oversold order within the
request that oversold it. `pytest -s` prints the figures."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from api.auth import issue_token
from devtools.stack import running_dev_server, running_service
from models.migrate import upgrade_async
from tests.api.helpers import order_body
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e
SECRET = "e2e-feeds-secret-of-at-least-32-bytes"
T_STALL, SCAN_PERIOD = timedelta(seconds=10), timedelta(seconds=5)
SLACK = timedelta(seconds=10)  # a scan round's own duration on a loaded machine
SYSTEM = {"Authorization": f"Bearer {issue_token(SECRET, sub='feeds', role='system')}"}


@pytest_asyncio.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    """A service of its own: its scans see only this test's orders."""
    directory = tmp_path_factory.mktemp("feeds")
    database_url = f"sqlite+aiosqlite:///{directory / 'feeds.db'}"
    await upgrade_async(database_url)
    async with running_dev_server(directory) as address:
        settings = {
            "AFTERSALES_ENV": "development",
            "AFTERSALES_JWT_SECRET": SECRET,
            "AFTERSALES_DATABASE_URL": database_url,
            "AFTERSALES_TEMPORAL_ADDRESS": address,
            "AFTERSALES_SCANS": "true",
            "AFTERSALES_T_MISSED": f"{int(SCAN_PERIOD.total_seconds())}s",
            "AFTERSALES_T_STALL": f"{int(T_STALL.total_seconds())}s",
            "AFTERSALES_EVIDENCE_DIR": str(directory / "evidence"),
        }
        async with (
            running_service(directory, settings) as service,
            httpx.AsyncClient(base_url=service.base_url) as http,
        ):
            yield http


def merchant(shop: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, sub=f'clerk-{shop}', role='merchant', shop_id=shop)}"}


def buyer(buyer_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, sub=buyer_id, role='buyer')}"}


async def post_order(http: httpx.AsyncClient, *, sku: str = "", ship_by: datetime | None = None) -> dict[str, Any]:
    body = order_body(f"o-{uuid.uuid4().hex[:10]}", f"b-{uuid.uuid4().hex[:6]}", f"s-{uuid.uuid4().hex[:6]}")
    body["items"][0]["sku"] = sku or f"sku-{uuid.uuid4().hex[:6]}"
    body["ship_by"] = (ship_by or datetime.now(UTC) + timedelta(days=1)).isoformat()
    created = await http.post("/orders", json=body, headers=SYSTEM)
    assert created.status_code == 201, created.text
    answer: dict[str, Any] = created.json()
    return answer


async def ship(http: httpx.AsyncClient, order_id: str) -> str:
    tracking_no = f"SF{uuid.uuid4().hex[:10]}"
    shipped = await http.post(
        f"/orders/{order_id}/shipments", json={"carrier": "SF", "tracking_no": tracking_no}, headers=SYSTEM
    )
    assert shipped.status_code == 201, shipped.text
    return tracking_no


async def track(http: httpx.AsyncClient, tracking_no: str, status: str, at: datetime) -> None:
    event = {"tracking_no": tracking_no, "status": status, "location": "上海转运中心", "at": at.isoformat()}
    assert (await http.post("/logistics/events", json=event, headers=SYSTEM)).status_code == 202


async def cases_of(http: httpx.AsyncClient, order: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    listed = await http.get(
        "/cases", params={"kind": kind, "order_id": order["order_id"]}, headers=merchant(order["shop_id"])
    )
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


async def opened(http: httpx.AsyncClient, order: dict[str, Any], kind: str, within: timedelta) -> dict[str, Any]:
    [case] = await eventually(
        lambda: cases_of(http, order, kind), lambda found: len(found) == 1, within.total_seconds()
    )
    return case


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_a_stall_opens_within_t_stall_and_a_scan_period(api: httpx.AsyncClient) -> None:
    order = await post_order(api)
    last_event = datetime.now(UTC)
    await track(api, await ship(api, order["order_id"]), "in_transit", last_event)

    case = await opened(api, order, "logistics_stalled", T_STALL + SCAN_PERIOD + SLACK + timedelta(seconds=10))

    lag = at(case["created_at"]) - (last_event + T_STALL)
    print(
        f"\nstall noticed {lag.total_seconds():.1f} s after T-STALL ({T_STALL.total_seconds():.0f} s) ran out; "
        f"scan period {SCAN_PERIOD.total_seconds():.0f} s"
    )
    assert timedelta(0) <= lag <= SCAN_PERIOD + SLACK
    assert case["status"] == "awaiting_merchant"


async def test_a_missed_shipment_opens_within_a_scan_period_of_ship_by(api: httpx.AsyncClient) -> None:
    ship_by = datetime.now(UTC) + timedelta(seconds=3)
    order = await post_order(api, ship_by=ship_by)

    case = await opened(api, order, "missed_shipment", SCAN_PERIOD + SLACK + timedelta(seconds=10))

    lag = at(case["created_at"]) - ship_by
    print(
        f"\nmissed shipment noticed {lag.total_seconds():.1f} s after ship-by; "
        f"scan period {SCAN_PERIOD.total_seconds():.0f} s"
    )
    assert timedelta(0) <= lag <= SCAN_PERIOD + SLACK


async def test_an_oversold_order_opens_within_its_own_request(api: httpx.AsyncClient) -> None:
    sku = f"sku-{uuid.uuid4().hex[:6]}"
    stock = {"warehouse_id": "w-1", "available": 1, "location": {"province": "上海", "city": "上海"}}
    assert (await api.put(f"/inventory/{sku}", json={"warehouses": [stock]}, headers=SYSTEM)).status_code == 200
    await post_order(api, sku=sku)

    posted = datetime.now(UTC)
    late = await post_order(api, sku=sku)
    [case] = await cases_of(api, late, "oversold")

    lag = at(case["created_at"]) - posted
    print(f"\noversold order's case stored {lag.total_seconds():.2f} s after the order was posted")
    assert late["locked_at"] is not None and lag < timedelta(seconds=5)
    assert case["status"] == "awaiting_merchant"


async def test_not_received_opens_on_a_delivered_parcel_the_buyer_never_got(api: httpx.AsyncClient) -> None:
    """The feed says delivered; the buyer's word opens the case (a courier's proof comes with issue 8's adapter)."""
    order = await post_order(api)
    await track(api, await ship(api, order["order_id"]), "delivered", datetime.now(UTC) - timedelta(hours=1))
    body = {"order_id": order["order_id"], "kind": "not_received", "reason": "not_received", "description": "没收到"}
    created = await api.post("/cases", json=body, headers=buyer(order["buyer_id"]))
    assert created.status_code == 201, created.text
    [case] = await cases_of(api, order, "not_received")
    assert case["status"] in ("awaiting_merchant", "awaiting_agent", "resolved")
