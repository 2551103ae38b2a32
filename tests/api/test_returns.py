"""return_refund and exchange over HTTP: the return's tracking number, the logistics feed's events forwarded to
the case, the receipt and the refund, with the real workflow behind the API."""

from datetime import UTC, datetime
from typing import Any

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.ledger import LedgerEntry
from tests.api.helpers import SYSTEM, OrderRef, act, error, new_id, open_case, push_order

Sessions = async_sessionmaker[AsyncSession]


async def tracking_event(client: AsyncClient, tracking_no: str, status: str, at: str | None = None) -> dict[str, Any]:
    event = {
        "tracking_no": tracking_no,
        "status": status,
        "location": "杭州",
        "at": at or datetime.now(UTC).isoformat(),
    }
    response = await client.post("/logistics/events", json=event, headers=SYSTEM)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


async def read(client: AsyncClient, order: OrderRef, case_id: str) -> dict[str, Any]:
    case: dict[str, Any] = (await client.get(f"/cases/{case_id}", headers=order.buyer)).json()
    return case


async def timeline_types(client: AsyncClient, order: OrderRef, case_id: str) -> list[str]:
    items = (await client.get(f"/cases/{case_id}/timeline", headers=order.buyer)).json()["items"]
    return [e["type"] for e in items]


async def test_a_return_refund_over_http_from_approval_to_the_refund(client: AsyncClient, db: Sessions) -> None:
    order = await push_order(client)
    case_id = (await open_case(client, order, kind="return_refund"))["case_id"]

    too_early = await act(client, case_id, order.merchant, action="confirm_receipt", condition_ok=True)
    assert too_early.status_code == 409 and error(too_early)["status"] == "awaiting_merchant"
    approved = await act(client, case_id, order.merchant, action="approve", return_address="杭州退货仓")
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["awaiting"]) == ("awaiting_return_shipment", "buyer")
    assert approved.json()["deadline"] is not None
    not_shipped = await act(client, case_id, order.merchant, action="confirm_receipt", condition_ok=True)
    assert not_shipped.status_code == 409
    assert error(not_shipped) | {"message": ""} == {
        "code": "invalid_state",
        "message": "",
        "status": "awaiting_return_shipment",
    }

    reused = await act(client, case_id, order.buyer, action="ship_return", carrier="SF", tracking_no=order.tracking_no)
    assert reused.status_code == 409 and error(reused)["code"] == "shipment_exists"
    incomplete = await act(client, case_id, order.buyer, action="ship_return", carrier="SF")
    assert incomplete.status_code == 422
    tracking_no = new_id("SFR")
    shipped = await act(client, case_id, order.buyer, action="ship_return", carrier="SF", tracking_no=tracking_no)
    assert shipped.status_code == 200, shipped.text
    assert (shipped.json()["status"], shipped.json()["awaiting"]) == ("return_in_transit", None)

    await tracking_event(client, tracking_no, "picked_up")
    assert (await read(client, order, case_id))["status"] == "return_in_transit"
    at = datetime.now(UTC).isoformat()
    assert (await tracking_event(client, tracking_no, "delivered", at))["duplicate"] is False
    assert (await tracking_event(client, tracking_no, "delivered", at))["duplicate"] is True
    delivered = await read(client, order, case_id)
    assert (delivered["status"], delivered["awaiting"]) == ("awaiting_receipt", "merchant")
    assert (await timeline_types(client, order, case_id)).count("tracking_event") == 2

    body = {"action": "confirm_receipt", "condition_ok": True, "note": "完好无损"}
    confirmed = await client.post(f"/cases/{case_id}/actions", json=body, headers=order.merchant)
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["status"], confirmed.json()["decision"]["outcome"]) == ("resolved", "return_refund")
    async with db() as session:
        entries = (await session.exec(select(LedgerEntry).where(LedgerEntry.case_id == case_id))).all()
    assert [(e.business_key, e.amount_cents) for e in entries] == [(f"case-{case_id}:refund:1", order.total_cents)]
    texts = [n["text"] for n in (await client.get("/notifications", headers=order.buyer)).json()["items"]]
    assert any(t.startswith("商家已同意退货,请寄回商品") for t in texts)
    assert any(t.startswith("快递已取件") for t in texts)
    assert any("已原路退回" in t for t in texts)
    late = await tracking_event(client, tracking_no, "in_transit")  # the case is closed: stored, nothing else
    assert late["duplicate"] is False
    assert (await timeline_types(client, order, case_id))[-1] == "case_closed"


async def test_an_exchange_over_http_closes_when_the_replacement_is_delivered(client: AsyncClient) -> None:
    order = await push_order(client)
    case_id = (await open_case(client, order, kind="exchange", reason="wrong_item"))["case_id"]
    assert (
        await act(client, case_id, order.merchant, action="approve", return_address="杭州退货仓")
    ).status_code == 200
    returned = new_id("SFR")
    assert (
        await act(client, case_id, order.buyer, action="ship_return", carrier="YTO", tracking_no=returned)
    ).is_success
    await tracking_event(client, returned, "delivered")
    confirmed = await act(client, case_id, order.merchant, action="confirm_receipt", condition_ok=True)
    assert (confirmed.json()["status"], confirmed.json()["awaiting"]) == ("awaiting_replacement", "merchant")

    replacement = new_id("SFX")
    shipped = await act(
        client, case_id, order.merchant, action="ship_replacement", carrier="SF", tracking_no=replacement
    )
    assert (shipped.json()["status"], shipped.json()["awaiting"]) == ("replacement_in_transit", None)
    await tracking_event(client, replacement, "delivered")

    closed = await read(client, order, case_id)
    assert (closed["status"], closed["decision"]["outcome"], closed["awaiting"]) == ("resolved", "exchange", None)
    order_shipments = (await client.get(f"/orders/{order.order_id}", headers=order.buyer)).json()["shipments"]
    assert [s["tracking_no"] for s in order_shipments] == [order.tracking_no]  # the order's own parcel only


async def test_a_failed_condition_check_goes_to_the_platform(client: AsyncClient) -> None:
    order = await push_order(client)
    case_id = (await open_case(client, order, kind="return_refund"))["case_id"]
    await act(client, case_id, order.merchant, action="approve", return_address="杭州退货仓")
    tracking_no = new_id("SFR")
    await act(client, case_id, order.buyer, action="ship_return", carrier="SF", tracking_no=tracking_no)
    withdraw = await act(client, case_id, order.buyer, action="withdraw")
    assert withdraw.status_code == 409 and error(withdraw)["status"] == "return_in_transit"

    bad = await act(client, case_id, order.merchant, action="confirm_receipt", condition_ok=False, note="有污渍")

    assert bad.status_code == 200, bad.text
    assert (bad.json()["status"], bad.json()["awaiting"]) == ("in_arbitration", "agent")
