"""Entry checks over HTTP: a missing unit and an unusual size warn from the buyer's own history; none without it."""

from typing import Any

from httpx import AsyncClient

from rulebook.enums import Role
from tests.api.helpers import SYSTEM, auth, error, new_id, order_body


async def history(client: AsyncClient, buyer_id: str, sizes: list[str]) -> None:
    for size in sizes:
        body = order_body(new_id("order"), buyer_id, new_id("shop"))
        body["items"][0].update(sku=new_id("sku"), spec={"size": size, "color": "白"})
        assert (await client.post("/orders", json=body, headers=SYSTEM)).status_code == 201


def draft(buyer_id: str, size: str = "L", unit: str = "1201") -> dict[str, Any]:
    body = order_body(new_id("order"), buyer_id, new_id("shop"))
    body["items"][0]["spec"] = {"size": size}
    body["shipping_address"]["unit"] = unit
    return body


async def test_a_missing_unit_and_a_size_unlike_the_buyer_s_history_warn_with_the_usual_values(
    client: AsyncClient,
) -> None:
    buyer_id = new_id("buyer")
    await history(client, buyer_id, ["L", "L", "M"])
    buyer = auth(Role.BUYER, buyer_id)

    checked = await client.post("/orders/check", json=draft(buyer_id, size="XXL", unit=""), headers=buyer)

    assert checked.status_code == 200, checked.text
    warnings = {w["field"]: w for w in checked.json()["warnings"]}
    assert set(warnings) == {"shipping_address.unit", "items[0].spec"}
    assert warnings["shipping_address.unit"]["suggestion"] == "1201"
    assert "是不是填错了" in warnings["shipping_address.unit"]["message"]
    assert warnings["items[0].spec"]["suggestion"] == "L" and "XXL" in warnings["items[0].spec"]["message"]
    english = await client.post("/orders/check", params={"lang": "en"}, json=draft(buyer_id, "XXL", ""), headers=buyer)
    assert all(w["message"].startswith("Did you") for w in english.json()["warnings"])
    by_header = await client.post(
        "/orders/check", json=draft(buyer_id, "XXL", ""), headers={**buyer, "Accept-Language": "en-US,en;q=0.9"}
    )
    assert by_header.json() == english.json()

    usual = await client.post("/orders/check", json=draft(buyer_id, size="m"), headers=buyer)
    assert usual.json() == {"warnings": []}  # a size they chose before, the unit given
    by_system = await client.post("/orders/check", json=draft(buyer_id, size="XXL"), headers=SYSTEM)
    assert [w["field"] for w in by_system.json()["warnings"]] == ["items[0].spec"]


async def test_no_history_no_warning(client: AsyncClient) -> None:
    buyer_id = new_id("buyer")
    checked = await client.post(
        "/orders/check", json=draft(buyer_id, size="XXL", unit=""), headers=auth(Role.BUYER, buyer_id)
    )
    assert checked.status_code == 200 and checked.json() == {"warnings": []}


async def test_a_buyer_checks_only_their_own_draft(client: AsyncClient) -> None:
    other = await client.post("/orders/check", json=draft(new_id("buyer")), headers=auth(Role.BUYER, "someone"))
    assert other.status_code == 403 and error(other)["code"] == "forbidden"
    merchant = auth(Role.MERCHANT, "clerk", shop_id="shop")
    assert (await client.post("/orders/check", json=draft("b"), headers=merchant)).status_code == 403
    bad = await client.post("/orders/check", json={"buyer_id": "b", "items": []}, headers=SYSTEM)
    assert bad.status_code == 422 and error(bad)["code"]
