"""Overselling over HTTP, warehouse by warehouse: an order ships from its nearest warehouse; a stock drop or a new
order that warehouse cannot cover (oldest first) locks the order and opens its `oversold` case at once, even while
another warehouse has stock; a locked order refuses a shipment; a restock unlocks the orders it covers, oldest first;
the merchant's remedy executes once, and an order its emergency transfer shipped never ships again."""

from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.ledger import LedgerEntry
from tests.api.helpers import SYSTEM, OrderRef, act, error, new_id, order_body
from tests.support.polling import eventually

Sessions = async_sessionmaker[AsyncSession]
SHANGHAI_WAREHOUSE = {"warehouse_id": "w-sh", "location": {"province": "上海", "city": "上海"}}
HANGZHOU_WAREHOUSE = {"warehouse_id": "w-hz", "location": {"province": "浙江", "city": "杭州"}}


async def order_of(client: AsyncClient, sku: str, shop_id: str, paid_minutes_ago: int, **address: Any) -> OrderRef:
    ref = OrderRef(new_id("order"), new_id("buyer"), shop_id, 9900, None)
    body = order_body(ref.order_id, ref.buyer_id, shop_id)
    body["items"][0]["sku"] = sku
    body["paid_at"] = (datetime.now(UTC) - timedelta(minutes=paid_minutes_ago)).isoformat()
    body["ship_by"] = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    body["shipping_address"].update(address)
    created = await client.post("/orders", json=body, headers=SYSTEM)
    assert created.status_code == 201, created.text
    return ref


async def put_stock(client: AsyncClient, sku: str, *warehouses: dict[str, Any]) -> Response:
    return await client.put(f"/inventory/{sku}", json={"warehouses": list(warehouses)}, headers=SYSTEM)


async def oversold_cases(client: AsyncClient, order: OrderRef) -> list[dict[str, Any]]:
    answer = await client.get("/cases", params={"kind": "oversold"}, headers=order.merchant)
    return [c for c in answer.json()["items"] if c["order_id"] == order.order_id]


async def timeline(client: AsyncClient, case_id: str, order: OrderRef) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await client.get(f"/cases/{case_id}/timeline", headers=order.merchant)).json()[
        "items"
    ]
    return items


async def ship(client: AsyncClient, order: OrderRef) -> Response:
    body = {"carrier": "SF", "tracking_no": new_id("SF")}
    return await client.post(f"/orders/{order.order_id}/shipments", json=body, headers=SYSTEM)


async def test_a_stock_drop_locks_the_newest_orders_and_alerts_the_merchant_with_the_nearest_warehouse(
    client: AsyncClient,
) -> None:
    sku, shop = new_id("sku"), new_id("shop")
    first, second, third = [await order_of(client, sku, shop, minutes) for minutes in (30, 20, 10)]
    enough = await put_stock(client, sku, {**SHANGHAI_WAREHOUSE, "available": 3})
    assert enough.status_code == 200 and enough.json()["oversold_case_ids"] == []
    twice = await put_stock(client, sku, {**SHANGHAI_WAREHOUSE, "available": 3})
    assert twice.json() == enough.json()  # the same stock put twice is the same state

    dropped = await put_stock(
        client, sku, {**SHANGHAI_WAREHOUSE, "available": 1}, {**HANGZHOU_WAREHOUSE, "available": 2}
    )
    assert dropped.status_code == 200, dropped.text
    assert dropped.json()["available"] == 3 and len(dropped.json()["oversold_case_ids"]) == 2

    assert await oversold_cases(client, first) == []
    for order in (second, third):
        [case] = await oversold_cases(client, order)
        assert (case["status"], case["awaiting"]) == ("awaiting_merchant", "merchant")
        locked = (await client.get(f"/orders/{order.order_id}", headers=order.merchant)).json()
        assert locked["locked_at"] is not None
        refused = await ship(client, order)
        assert refused.status_code == 409 and error(refused)["code"] == "order_locked"
        [alert] = [e for e in await timeline(client, case["case_id"], order) if e["type"] == "exception_alert"]
        assert alert["data"]["menu"] == ["recommend_similar_refund_difference", "emergency_transfer"]
        transfer = alert["data"]["transfer_from"]  # Shanghai's one unit is the first order's: Hangzhou's spare
        assert (transfer["warehouse_id"], transfer["basis"], transfer["available"]) == ("w-hz", "elsewhere", 2)
    assert (await ship(client, first)).status_code == 201

    again = await put_stock(client, sku, {**SHANGHAI_WAREHOUSE, "available": 1})
    assert again.json()["oversold_case_ids"] == []  # each oversold order has its one case
    assert again.json()["unlocked_order_ids"] == [second.order_id]  # the unit the first order left covers the next


async def test_a_new_order_past_the_stock_is_locked_at_once_and_the_transfer_comes_from_the_nearest_by_distance(
    client: AsyncClient,
) -> None:
    sku, shop = new_id("sku"), new_id("shop")
    suzhou = {"warehouse_id": "w-sz", "location": {"province": "江苏", "city": "苏州"}, "lat": 31.30, "lng": 120.62}
    beijing = {"warehouse_id": "w-bj", "location": {"province": "北京", "city": "北京"}, "lat": 39.9, "lng": 116.4}
    shanghai = {**SHANGHAI_WAREHOUSE, "lat": 31.2, "lng": 121.5}
    stock = [{**shanghai, "available": 1}, {**suzhou, "available": 1}, {**beijing, "available": 5}]
    assert (await put_stock(client, sku, *stock)).status_code == 200
    await order_of(client, sku, shop, 5, lat=31.24, lng=121.48)  # Shanghai's one unit is this one's

    started = datetime.now(UTC)
    late = await order_of(client, sku, shop, 0, lat=31.23, lng=121.47)
    [case] = await oversold_cases(client, late)
    assert (datetime.now(UTC) - started).total_seconds() < 5  # opened within the order's own request

    alert = await eventually(lambda: _alert(client, case["case_id"], late), lambda found: found is not None, within=10)
    assert alert is not None
    assert (alert["transfer_from"]["warehouse_id"], alert["transfer_from"]["basis"]) == ("w-sz", "distance")


async def _alert(client: AsyncClient, case_id: str, order: OrderRef) -> dict[str, Any] | None:
    alerts = [e["data"] for e in await timeline(client, case_id, order) if e["type"] == "exception_alert"]
    return alerts[0] if alerts else None


async def test_the_merchant_s_remedy_executes_once_and_unlocks_the_order(client: AsyncClient, db: Sessions) -> None:
    sku, shop = new_id("sku"), new_id("shop")
    first, second = [await order_of(client, sku, shop, minutes) for minutes in (20, 10)]
    dropped = await put_stock(client, sku, {**SHANGHAI_WAREHOUSE, "available": 0})
    [first_case, second_case] = [(await oversold_cases(client, o))[0] for o in (first, second)]
    assert {first_case["case_id"], second_case["case_id"]} == set(dropped.json()["oversold_case_ids"])

    transfer = await act(
        client, first_case["case_id"], first.merchant, action="resolve", resolution="emergency_transfer"
    )
    assert transfer.status_code == 200, transfer.text
    assert transfer.json()["status"] == "replacement_in_transit"  # stock moved, the goods shipped; delivery resolves
    again = await act(client, first_case["case_id"], first.merchant, action="resolve", resolution="emergency_transfer")
    assert again.status_code == 409
    types = [e["type"] for e in await timeline(client, first_case["case_id"], first)]
    assert types.count("stock_transferred") == 1 and types.count("order_unlocked") == 1
    assert types.count("reshipment_created") == 1
    shipped = (await client.get(f"/orders/{first.order_id}", headers=first.merchant)).json()
    assert (shipped["locked_at"], shipped["unlocked_by"]) == (None, "remedy")
    twice = await ship(client, first)  # the transfer's reshipment shipped the order: it ships once
    assert twice.status_code == 409 and error(twice)["code"] == "order_shipped", twice.text
    assert "emergency transfer" in error(twice)["message"]

    no_amount = await act(
        client,
        second_case["case_id"],
        second.merchant,
        action="resolve",
        resolution="recommend_similar_refund_difference",
    )
    assert no_amount.status_code == 422 and error(no_amount)["code"] == "invalid_request"
    similar = await act(
        client,
        second_case["case_id"],
        second.merchant,
        action="resolve",
        resolution="recommend_similar_refund_difference",
        amount_cents=3000,
        note="推荐同款浅色,退差价30元",
    )
    assert similar.status_code == 200, similar.text
    async with db() as session:
        moves = (await session.exec(select(LedgerEntry).where(LedgerEntry.order_id == second.order_id))).all()
    assert [(m.kind, m.amount_cents, m.status) for m in moves] == [("refund", 3000, "succeeded")]
    money = (await client.get(f"/orders/{second.order_id}", headers=second.merchant)).json()
    assert (money["refunded_cents"], money["locked_at"]) == (3000, None)


async def test_an_empty_nearest_warehouse_oversells_while_another_has_stock(client: AsyncClient) -> None:
    """The seed: Hangzhou's warehouse is empty, Shanghai's holds 5 — the Hangzhou buyer's order is oversold."""
    sku, shop = new_id("sku"), new_id("shop")
    in_shanghai = await order_of(client, sku, shop, 20)
    in_hangzhou = await order_of(client, sku, shop, 10, province="浙江", city="杭州", district="西湖")

    stocked = await put_stock(
        client, sku, {**HANGZHOU_WAREHOUSE, "available": 0}, {**SHANGHAI_WAREHOUSE, "available": 5}
    )

    assert stocked.status_code == 200, stocked.text
    [case_id] = stocked.json()["oversold_case_ids"]
    assert await oversold_cases(client, in_shanghai) == []
    [case] = await oversold_cases(client, in_hangzhou)
    assert case["case_id"] == case_id and "w-hz holds 0" in case["description"]
    order = (await client.get(f"/orders/{in_hangzhou.order_id}", headers=in_hangzhou.merchant)).json()
    assert order["locked_at"] is not None and order["locked_sku"] == sku
    alert = await eventually(lambda: _alert(client, case_id, in_hangzhou), lambda found: found is not None, within=10)
    assert alert is not None  # Shanghai holds 5, 1 of them for its own order: 4 spare
    assert (alert["transfer_from"]["warehouse_id"], alert["transfer_from"]["available"]) == ("w-sh", 4)


async def test_a_restock_unlocks_the_locked_orders_it_covers_oldest_first(client: AsyncClient) -> None:
    sku, shop = new_id("sku"), new_id("shop")
    oldest, middle, newest = [await order_of(client, sku, shop, minutes) for minutes in (30, 20, 10)]
    emptied = await put_stock(client, sku, {**SHANGHAI_WAREHOUSE, "available": 0})
    assert len(emptied.json()["oversold_case_ids"]) == 3

    restocked = await put_stock(client, sku, {**SHANGHAI_WAREHOUSE, "available": 2})

    assert restocked.json()["unlocked_order_ids"] == [oldest.order_id, middle.order_id]
    assert restocked.json()["oversold_case_ids"] == []
    for order in (oldest, middle):
        shown = (await client.get(f"/orders/{order.order_id}", headers=order.merchant)).json()
        assert (shown["locked_at"], shown["unlocked_by"]) == (None, "restock") and shown["unlocked_at"] is not None
    still = (await client.get(f"/orders/{newest.order_id}", headers=newest.merchant)).json()
    assert still["locked_at"] is not None and still["unlocked_at"] is None
    assert (await ship(client, oldest)).status_code == 201
    refused = await ship(client, newest)
    assert refused.status_code == 409 and error(refused)["code"] == "order_locked"

    dropped = await put_stock(client, sku, {**SHANGHAI_WAREHOUSE, "available": 0})  # the middle one is short again
    assert dropped.json()["oversold_case_ids"] == []  # its case is still open: locked again, no second case
    again = (await client.get(f"/orders/{middle.order_id}", headers=middle.merchant)).json()
    assert again["locked_at"] is not None and len(await oversold_cases(client, middle)) == 1


async def test_inventory_is_the_feed_s_alone_and_validated(client: AsyncClient) -> None:
    sku = new_id("sku")
    order = await order_of(client, sku, new_id("shop"), 1)
    as_merchant = await client.put(
        f"/inventory/{sku}", json={"warehouses": [{**SHANGHAI_WAREHOUSE, "available": 1}]}, headers=order.merchant
    )
    assert as_merchant.status_code == 403
    for bad in (
        [{**SHANGHAI_WAREHOUSE, "available": -1}],
        [{**SHANGHAI_WAREHOUSE, "available": 1, "lat": 31.2}],
        [{**SHANGHAI_WAREHOUSE, "available": 1}, {**SHANGHAI_WAREHOUSE, "available": 2}],
        [{"warehouse_id": "w", "available": 1, "location": "上海"}],
    ):
        refused = await put_stock(client, sku, *bad)
        assert refused.status_code == 422 and error(refused)["code"]
