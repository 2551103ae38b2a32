"""Least exposure and strict input: evidence cited only on its own case, the buyer's phone and street shown to a
merchant only where needed (BOPLA-02), integers that are integers, orders that add up, errors that never echo
unbounded input, and per-buyer caps (ABUSE-01)."""

from typing import Any

import pytest
from httpx import AsyncClient

from tests.api.evidence_helpers import png, upload
from tests.api.helpers import AGENT, SYSTEM, act, case_body, error, new_id, open_case, order_body, push_order


async def test_an_action_may_cite_only_the_evidence_of_its_own_case(client: AsyncClient) -> None:
    order_a, order_b = await push_order(client), await push_order(client)
    case_a = (await open_case(client, order_a))["case_id"]
    case_b = (await open_case(client, order_b))["case_id"]
    theirs = (await upload(client, case_a, order_a.buyer, png())).json()["evidence_id"]
    own = (await upload(client, case_b, order_b.merchant, png())).json()["evidence_id"]

    cites_theirs = await act(client, case_b, order_b.merchant, action="reject", reason="见附件", evidence_ids=[theirs])
    assert (cites_theirs.status_code, error(cites_theirs)["code"]) == (422, "unknown_evidence")
    timeline = (await client.get(f"/cases/{case_b}/timeline", headers=order_b.buyer)).json()["items"]
    assert [e["type"] for e in timeline] == ["case_opened", "evidence_added"]

    cites_own = await act(client, case_b, order_b.merchant, action="reject", reason="见附件", evidence_ids=[own])
    assert cites_own.status_code == 200, cites_own.text


async def test_a_merchant_sees_the_buyers_phone_masked_and_only_the_region_on_a_refund(client: AsyncClient) -> None:
    order = await push_order(client)
    case_id = (await open_case(client, order))["case_id"]

    for_merchant = (await client.get(f"/cases/{case_id}/facts", headers=order.merchant)).json()["order"]
    for_agent = (await client.get(f"/cases/{case_id}/facts", headers=AGENT)).json()["order"]

    assert for_merchant["shipping_address"] == {
        "name": "张三",
        "province": "上海",
        "city": "上海",
        "district": "浦东",
        "phone": "138****0000",
    }
    assert for_agent["shipping_address"]["phone"] == "13800000000" and for_agent["shipping_address"]["unit"] == "1201"
    on_order = (await client.get(f"/orders/{order.order_id}", headers=order.merchant)).json()["shipping_address"]
    assert (on_order["phone"], on_order["street"]) == ("138****0000", "世纪大道 1 号")  # the shop ships the order
    assert (await client.get(f"/orders/{order.order_id}", headers=order.buyer)).json()["shipping_address"][
        "phone"
    ] == "13800000000"


@pytest.mark.parametrize("amount", [True, "100", 1.5, 0, 2**31])
async def test_amounts_are_json_integers_in_range(client: AsyncClient, amount: Any) -> None:
    order = await push_order(client)
    response = await client.post("/cases", json=case_body(order, amount_cents=amount), headers=order.buyer)
    assert (response.status_code, error(response)["code"]) == (422, "validation_error")


@pytest.mark.parametrize(
    ("field", "value"),
    [("unit_price_cents", 2**63), ("unit_price_cents", "9900"), ("quantity", True), ("unit_price_cents", 9800)],
)
async def test_an_order_whose_lines_do_not_add_up_or_are_not_integers_is_refused(
    client: AsyncClient, field: str, value: Any
) -> None:
    body = order_body(new_id("order"), new_id("buyer"), new_id("shop"))
    body["items"][0][field] = value
    response = await client.post("/orders", json=body, headers=SYSTEM)
    assert (response.status_code, error(response)["code"]) == (422, "validation_error")


async def test_an_error_never_echoes_more_than_a_bounded_part_of_the_input(client: AsyncClient) -> None:
    order = await push_order(client)
    long_id = "x" * 5000
    for path in (f"/cases/{long_id}", f"/orders/{long_id}"):
        response = await client.get(path, headers=order.buyer)
        assert response.status_code == 404
        assert len(error(response)["message"]) < 200


async def test_a_buyer_may_open_only_so_many_requests_on_one_order(client: AsyncClient) -> None:
    order = await push_order(client)
    for _ in range(6):
        case_id = (await open_case(client, order, amount_cents=100))["case_id"]
        assert (await act(client, case_id, order.merchant, action="approve")).json()["status"] == "resolved"

    seventh = await client.post("/cases", json=case_body(order, amount_cents=100), headers=order.buyer)

    assert (seventh.status_code, error(seventh)["code"], error(seventh)["limit"]) == (429, "too_many_cases", 6)


async def test_a_buyer_may_withdraw_only_so_many_requests_a_day(client: AsyncClient) -> None:
    buyer_id = new_id("buyer")
    withdrawn = 0
    for _ in range(5):
        order = await push_order(client, buyer_id=buyer_id)
        case_id = (await open_case(client, order))["case_id"]
        withdrawn += (await act(client, case_id, order.buyer, action="withdraw")).status_code == 200
    order = await push_order(client, buyer_id=buyer_id)
    case_id = (await open_case(client, order))["case_id"]

    sixth = await act(client, case_id, order.buyer, action="withdraw")

    assert withdrawn == 5
    assert (sixth.status_code, error(sixth)["code"]) == (429, "too_many_withdrawals")
    assert (await client.get(f"/cases/{case_id}", headers=order.buyer)).json()["status"] == "awaiting_merchant"
