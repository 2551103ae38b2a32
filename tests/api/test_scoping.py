"""Object-level authorization: what a caller may not see is 404, as if it did not exist (BOLA-01..03)."""

from httpx import AsyncClient

from rulebook.enums import Role
from tests.api.helpers import AGENT, SYSTEM, act, auth, error, new_id, open_case, push_order

OTHER_BUYER = auth(Role.BUYER, "someone-else")
OTHER_SHOP = auth(Role.MERCHANT, "clerk-x", shop_id="another-shop")


async def test_another_buyer_or_shop_sees_nothing_of_a_case(client: AsyncClient) -> None:
    order = await push_order(client)
    case_id = (await open_case(client, order))["case_id"]

    for headers in (OTHER_BUYER, OTHER_SHOP):
        for path in (f"/cases/{case_id}", f"/cases/{case_id}/timeline", f"/cases/{case_id}/verify"):
            response = await client.get(path, headers=headers)
            assert (response.status_code, error(response)["code"]) == (404, "not_found"), path
            assert case_id not in response.text.replace(f"no case {case_id}", "")
        listed = await client.get("/cases", params={"order_id": order.order_id}, headers=headers)
        assert listed.json()["items"] == []
    for headers in (order.buyer, order.merchant, AGENT):
        assert (await client.get(f"/cases/{case_id}", headers=headers)).status_code == 200


async def test_acting_on_someone_elses_case_is_404_and_changes_nothing(client: AsyncClient) -> None:
    order = await push_order(client)
    case_id = (await open_case(client, order))["case_id"]

    withdraw = await act(client, case_id, OTHER_BUYER, action="withdraw")
    approve = await act(client, case_id, OTHER_SHOP, action="approve")

    assert (withdraw.status_code, approve.status_code) == (404, 404)
    timeline = (await client.get(f"/cases/{case_id}/timeline", headers=order.buyer)).json()["items"]
    assert [e["type"] for e in timeline] == ["case_opened"]


async def test_a_buyer_cannot_open_a_case_on_someone_elses_order(client: AsyncClient) -> None:
    order = await push_order(client)
    body = {"order_id": order.order_id, "kind": "refund_only", "reason": "damaged"}

    response = await client.post("/cases", json=body, headers=OTHER_BUYER)

    assert (response.status_code, error(response)["code"]) == (404, "not_found")


async def test_orders_are_read_by_their_buyer_shop_agents_and_the_system_only(client: AsyncClient) -> None:
    order = await push_order(client)
    path = f"/orders/{order.order_id}"

    for headers in (order.buyer, order.merchant, AGENT, SYSTEM):
        response = await client.get(path, headers=headers)
        assert response.status_code == 200 and response.json()["order_id"] == order.order_id
    for headers in (OTHER_BUYER, OTHER_SHOP):
        assert (await client.get(path, headers=headers)).status_code == 404
    assert (await client.get(f"/orders/{new_id('order')}", headers=SYSTEM)).status_code == 404


async def test_a_foreign_filter_lists_only_the_callers_own_cases(client: AsyncClient) -> None:
    """BOLA-03: naming another shop or buyer in the query never widens what a caller sees."""
    order = await push_order(client)
    case_id = (await open_case(client, order))["case_id"]
    other = await push_order(client)
    other_case = (await open_case(client, other))["case_id"]

    as_other_shop = await client.get("/cases", params={"shop_id": order.shop_id}, headers=other.merchant)
    as_other_buyer = await client.get("/cases", params={"buyer_id": order.buyer_id}, headers=other.buyer)

    for listed in (as_other_shop, as_other_buyer):
        assert [c["case_id"] for c in listed.json()["items"]] == [other_case]
    assert case_id != other_case
