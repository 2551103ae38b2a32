"""An order's money adds up over HTTP: every case of an order asks one ledger, `GET /orders/{id}` shows it, and
refunds never exceed what was paid (api.md "Orders (read)", product.md §8)."""

from typing import Any

from httpx import AsyncClient

from rulebook.enums import Role
from tests.api.helpers import AGENT, SYSTEM, OrderRef, act, auth, case_body, error, new_id, open_case, order_body
from tests.api.helpers import push_order as push
from tests.api.test_returns import timeline_types, tracking_event


async def money(client: AsyncClient, order: OrderRef) -> dict[str, Any]:
    response = await client.get(f"/orders/{order.order_id}", headers=order.buyer)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["refunded_cents"] <= body["paid_cents"]
    return body


async def test_a_refund_only_and_a_return_of_one_order_refund_what_was_paid_once(client: AsyncClient) -> None:
    order = await push(client, total_cents=5900)
    refund = (await open_case(client, order))["case_id"]
    ret = (await open_case(client, order, kind="return_refund"))["case_id"]

    approved = await act(client, refund, order.merchant, action="approve")
    assert approved.json()["status"] == "resolved"
    await act(client, ret, order.merchant, action="approve", return_address="杭州退货仓")
    tracking_no = new_id("SFR")
    await act(client, ret, order.buyer, action="ship_return", carrier="SF", tracking_no=tracking_no)
    await tracking_event(client, tracking_no, "delivered")
    received = await act(client, ret, order.merchant, action="confirm_receipt", condition_ok=True)

    assert (received.json()["status"], received.json()["awaiting"]) == ("in_arbitration", "agent")
    assert "refund_refused" in await timeline_types(client, order, ret)
    ledger = await money(client, order)
    assert (ledger["paid_cents"], ledger["refunded_cents"], ledger["refundable_cents"]) == (5900, 5900, 0)
    assert sorted((m["status"], m["amount_cents"], m["asked_cents"]) for m in ledger["money_moves"]) == [
        ("refused", 0, 5900),
        ("succeeded", 5900, 5900),
    ]
    assert all(m["reference"] for m in ledger["money_moves"] if m["status"] == "succeeded")


async def test_after_a_full_refund_the_order_has_nothing_left_to_open_a_case_for(client: AsyncClient) -> None:
    order = await push(client, total_cents=5900)
    case_id = (await open_case(client, order))["case_id"]
    await act(client, case_id, order.merchant, action="approve")

    again = await client.post("/cases", json=case_body(order), headers=order.buyer)

    assert again.status_code == 409
    assert error(again) | {"message": ""} == {
        "code": "nothing_refundable",
        "message": "",
        "paid_cents": 5900,
        "refunded_cents": 5900,
        "refundable_cents": 0,
    }


async def test_a_new_case_asks_what_is_left_by_default_and_no_more(client: AsyncClient) -> None:
    order = await push(client, total_cents=9900)
    first = (await open_case(client, order))["case_id"]
    await act(
        client, first, order.merchant, action="propose", outcome="partial_refund", amount_cents=2000, message="退一部分"
    )
    accepted = await act(client, first, order.buyer, action="accept_proposal")
    assert accepted.json()["status"] == "resolved", accepted.text

    too_much = await client.post(
        "/cases", json=case_body(order, kind="return_refund", amount_cents=8000), headers=order.buyer
    )
    assert too_much.status_code == 422
    assert (error(too_much)["code"], error(too_much)["max"], error(too_much)["refunded_cents"]) == (
        "invalid_amount",
        7900,
        2000,
    )
    second = await open_case(client, order, kind="return_refund")
    assert second["amount_cents"] == 7900
    assert (await money(client, order))["refundable_cents"] == 7900


async def test_a_case_naming_items_asks_their_price_times_quantity(client: AsyncClient) -> None:
    body = order_body(new_id("order"), new_id("buyer"), new_id("shop"), total_cents=7000)
    tee = body["items"][0] | {"unit_price_cents": 3000}
    socks = body["items"][0] | {"sku": "socks-1", "title": "袜子", "quantity": 4, "unit_price_cents": 1000}
    body["items"] = [tee, socks]
    assert (await client.post("/orders", json=body, headers=SYSTEM)).status_code == 201
    order = OrderRef(body["order_id"], body["buyer_id"], body["shop_id"], 7000, None)

    case = await open_case(client, order, items=[{"sku": "socks-1", "quantity": 2}])
    assert case["amount_cents"] == 2000
    beyond = await client.post(
        "/cases",
        json=case_body(order, kind="return_refund", items=[{"sku": "tee-1", "quantity": 1}], amount_cents=3500),
        headers=order.buyer,
    )
    assert (beyond.status_code, error(beyond)["max"]) == (422, 3000)


async def test_partial_refunds_and_coupons_need_an_amount_and_it_must_fit_the_ledger(client: AsyncClient) -> None:
    order = await push(client, total_cents=9900)
    case_id = (await open_case(client, order, amount_cents=3000))["case_id"]
    other = (await open_case(client, order, kind="return_refund", amount_cents=9900))["case_id"]
    assert other

    for outcome in ("partial_refund", "coupon"):
        proposal = await act(client, case_id, order.merchant, action="propose", outcome=outcome, message="方案")
        assert proposal.status_code == 422, proposal.text
    await act(client, case_id, order.merchant, action="reject", reason="已发货")
    await act(client, case_id, order.buyer, action="escalate", reason="请平台介入")
    ruling = await act(client, case_id, AGENT, action="decide", outcome="partial_refund", rationale="部分责任")
    assert ruling.status_code == 422 and error(ruling)["code"] == "validation_error"
    too_much = await act(
        client, case_id, AGENT, action="decide", outcome="partial_refund", amount_cents=9901, rationale="全部"
    )
    assert (too_much.status_code, error(too_much)["code"]) == (422, "invalid_amount")
    decided = await act(
        client, case_id, AGENT, action="decide", outcome="partial_refund", amount_cents=1500, rationale="部分责任"
    )
    assert decided.json()["status"] == "resolved", decided.text
    assert (await money(client, order))["refunded_cents"] == 1500


async def test_an_order_and_its_money_are_read_by_its_parties_the_agents_and_the_system_only(
    client: AsyncClient,
) -> None:
    order = await push(client)
    for headers in (order.buyer, order.merchant, AGENT, SYSTEM):
        response = await client.get(f"/orders/{order.order_id}", headers=headers)
        assert response.status_code == 200 and response.json()["refundable_cents"] == order.total_cents
    strangers = (auth(Role.BUYER, new_id("buyer")), auth(Role.MERCHANT, "clerk", shop_id=new_id("shop")))
    for headers in strangers:
        response = await client.get(f"/orders/{order.order_id}", headers=headers)
        assert (response.status_code, error(response)["code"]) == (404, "not_found")
