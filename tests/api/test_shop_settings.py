"""Returns go somewhere: a shop's default return address, read and changed over the API, used by an approval that
names none; with neither, the approval is 422 and the case still waits on the merchant."""

from httpx import AsyncClient

from rulebook.enums import Role
from tests.api.helpers import act, auth, error, open_case, push_order


async def test_an_approval_without_an_address_takes_the_shops_default(client: AsyncClient) -> None:
    order = await push_order(client)
    shop = order.merchant  # the merchant of the order's shop
    settings_url = f"/shops/{order.shop_id}/settings"
    assert (await client.get(settings_url, headers=shop)).json() == {"shop_id": order.shop_id, "return_address": None}
    case_id = (await open_case(client, order, kind="exchange"))["case_id"]

    nowhere = await act(client, case_id, shop, action="approve")
    assert nowhere.status_code == 422 and error(nowhere)["code"] == "return_address_required"
    assert (await client.get(f"/cases/{case_id}", headers=order.buyer)).json()["status"] == "awaiting_merchant"

    changed = await client.put(settings_url, json={"return_address": "杭州市余杭区退货仓 B-2"}, headers=shop)
    assert changed.status_code == 200 and changed.json()["return_address"] == "杭州市余杭区退货仓 B-2"
    approved = await act(client, case_id, shop, action="approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "awaiting_return_shipment"
    items = (await client.get(f"/cases/{case_id}/timeline", headers=order.buyer)).json()["items"]
    [requested] = [e for e in items if e["type"] == "return_requested"]
    assert requested["data"]["return_address"] == "杭州市余杭区退货仓 B-2"
    notes = (await client.get("/notifications", headers=order.buyer)).json()["items"]
    assert any("杭州市余杭区退货仓 B-2" in n["text"] for n in notes)


async def test_an_address_named_in_the_approval_wins(client: AsyncClient) -> None:
    order = await push_order(client)
    await client.put(f"/shops/{order.shop_id}/settings", json={"return_address": "默认仓"}, headers=order.merchant)
    case_id = (await open_case(client, order, kind="return_refund"))["case_id"]
    approved = await act(client, case_id, order.merchant, action="approve", return_address="上海临时仓")
    assert approved.status_code == 200
    items = (await client.get(f"/cases/{case_id}/timeline", headers=order.buyer)).json()["items"]
    assert [e["data"]["return_address"] for e in items if e["type"] == "return_requested"] == ["上海临时仓"]


async def test_only_the_shops_merchants_change_it_and_agents_read_it(client: AsyncClient) -> None:
    order = await push_order(client)
    url = f"/shops/{order.shop_id}/settings"
    other = auth(Role.MERCHANT, "clerk-x", shop_id="another-shop")
    agent = auth(Role.AGENT, "agent-1")
    assert (await client.put(url, json={"return_address": "x"}, headers=other)).status_code == 404
    assert (await client.get(url, headers=order.buyer)).status_code == 404
    assert (await client.put(url, json={"return_address": "x"}, headers=agent)).status_code == 404
    assert (await client.get(url, headers=agent)).status_code == 200
    bad = await client.put(url, json={"return_address": ""}, headers=order.merchant)
    assert bad.status_code == 422 and "error" in bad.json()
