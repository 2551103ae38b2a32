"""The integration feed: orders with their listing snapshot, shipments and tracking events (role `system`)."""

from datetime import UTC, datetime

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.order import TrackingEventRow
from tests.api.helpers import SYSTEM, error, new_id, order_body, push_order

Sessions = async_sessionmaker[AsyncSession]


async def test_an_order_is_stored_with_its_listing_snapshot(client: AsyncClient) -> None:
    body = order_body(new_id("order"), new_id("buyer"), new_id("shop"))

    created = await client.post("/orders", json=body, headers=SYSTEM)

    assert created.status_code == 201
    order = created.json()
    assert (order["order_id"], order["total_cents"], order["shipments"]) == (body["order_id"], 9900, [])
    assert order["items"][0]["listing"] == body["items"][0]["listing"]
    assert order["shipping_address"]["unit"] == "1201"
    assert datetime.fromisoformat(order["paid_at"]) == datetime.fromisoformat(body["paid_at"]).astimezone(UTC)


async def test_an_order_id_is_pushed_once(client: AsyncClient) -> None:
    body = order_body(new_id("order"), new_id("buyer"), new_id("shop"))
    assert (await client.post("/orders", json=body, headers=SYSTEM)).status_code == 201

    again = await client.post("/orders", json=body, headers=SYSTEM)

    assert (again.status_code, error(again)["code"]) == (409, "order_exists")


async def test_order_input_is_strict(client: AsyncClient) -> None:
    body = order_body(new_id("order"), new_id("buyer"), new_id("shop"))
    naive = {**body, "paid_at": "2026-01-01T10:00:00"}
    extra = {**body, "refunded_cents": 0}
    no_items = {**body, "items": []}

    responses = [await client.post("/orders", json=b, headers=SYSTEM) for b in (naive, extra, no_items)]

    assert [(r.status_code, error(r)["code"]) for r in responses] == [(422, "validation_error")] * 3
    assert [error(r)["details"][0]["loc"][-1] for r in responses] == ["paid_at", "refunded_cents", "items"]


async def test_shipments_and_tracking_events(client: AsyncClient, db: Sessions) -> None:
    order = await push_order(client, delivered=False)
    assert order.tracking_no is not None
    event = {
        "tracking_no": order.tracking_no,
        "status": "in_transit",
        "location": "杭州",
        "at": datetime.now(UTC).isoformat(),
    }

    first = await client.post("/logistics/events", json=event, headers=SYSTEM)
    duplicate = await client.post("/logistics/events", json=event, headers=SYSTEM)
    unknown = await client.post("/logistics/events", json={**event, "tracking_no": new_id("SF")}, headers=SYSTEM)
    bad_status = await client.post("/logistics/events", json={**event, "status": "teleported"}, headers=SYSTEM)

    assert (first.status_code, first.json()) == (202, {"accepted": True, "duplicate": False})
    assert (duplicate.status_code, duplicate.json()) == (202, {"accepted": True, "duplicate": True})
    assert (unknown.status_code, bad_status.status_code) == (404, 422)
    async with db() as session:
        rows = (
            await session.exec(select(TrackingEventRow).where(TrackingEventRow.tracking_no == order.tracking_no))
        ).all()
    assert [(r.status, r.location) for r in rows] == [("in_transit", "杭州")]
    shipments = (await client.get(f"/orders/{order.order_id}", headers=SYSTEM)).json()["shipments"]
    assert [(s["carrier"], s["tracking_no"]) for s in shipments] == [("SF", order.tracking_no)]
    twice = await client.post(
        f"/orders/{order.order_id}/shipments", json={"carrier": "SF", "tracking_no": order.tracking_no}, headers=SYSTEM
    )
    assert (twice.status_code, error(twice)["code"]) == (409, "shipment_exists")
    nowhere = await client.post(
        f"/orders/{new_id('order')}/shipments", json={"carrier": "SF", "tracking_no": "x"}, headers=SYSTEM
    )
    assert nowhere.status_code == 404
