"""Progress messages: each party reads its own, in Chinese by default and in English on request."""

from httpx import AsyncClient

from rulebook.enums import Role
from tests.api.helpers import AGENT, act, auth, open_case, push_order


async def test_each_party_reads_its_own_messages_in_its_language(client: AsyncClient) -> None:
    order = await push_order(client)
    case_id = (await open_case(client, order))["case_id"]
    assert (await act(client, case_id, order.merchant, action="reject", reason="已影响二次销售")).status_code == 200

    zh = (await client.get("/notifications", headers=order.buyer)).json()["items"]
    en = (await client.get("/notifications", params={"lang": "en"}, headers=order.buyer)).json()["items"]
    by_header = await client.get("/notifications", headers={**order.buyer, "Accept-Language": "en-US,en;q=0.9"})
    shop = (await client.get("/notifications", headers=order.merchant)).json()["items"]
    stranger = (await client.get("/notifications", headers=auth(Role.BUYER, "stranger"))).json()["items"]

    assert [n["case_id"] for n in zh] == [case_id, case_id]
    assert set(zh[0]) == {"id", "case_id", "text", "created_at"}
    assert "售后申请已提交" in zh[0]["text"] and "已影响二次销售" in zh[1]["text"]
    assert "request was submitted" in en[0]["text"] and "rejected" in en[1]["text"]
    assert by_header.json()["items"] == en
    assert [n["id"] for n in zh] == sorted(n["id"] for n in zh)  # newest last
    assert len(shop) == 1 and order.order_id in shop[0]["text"]
    assert stranger == []


async def test_since_returns_only_later_messages(client: AsyncClient) -> None:
    order = await push_order(client)
    case_id = (await open_case(client, order))["case_id"]
    [opened] = (await client.get("/notifications", headers=order.buyer)).json()["items"]
    assert (await act(client, case_id, order.merchant, action="approve")).status_code == 200

    later = await client.get("/notifications", params={"since": opened["created_at"]}, headers=order.buyer)

    texts = [n["text"] for n in later.json()["items"]]
    assert texts and all(n["created_at"] > opened["created_at"] for n in later.json()["items"])
    assert any("退款" in t for t in texts)
    assert (await client.get("/notifications", params={"since": "yesterday"}, headers=AGENT)).status_code == 422


async def test_a_cursor_pages_through_messages_of_the_same_instant_without_skipping_any(client: AsyncClient) -> None:
    order = await push_order(client)
    case_id = (await open_case(client, order))["case_id"]
    assert (await act(client, case_id, order.merchant, action="approve")).status_code == 200  # one step, one instant
    everything = (await client.get("/notifications", headers=order.buyer)).json()["items"]
    instants = [n["created_at"] for n in everything]
    assert any(instants.count(at) >= 2 for at in instants)  # the approval and the decision: one step's time

    paged, cursor = [], None
    for _ in range(len(everything) + 2):
        params = {"limit": 1, **({"cursor": cursor} if cursor else {"since": "2000-01-01T00:00:00Z"})}
        page = (await client.get("/notifications", params=params, headers=order.buyer)).json()
        paged += page["items"]
        cursor = page["next_cursor"]
    assert paged == everything
    assert cursor is not None  # polling with it returns nothing new, and the same cursor to keep
    again = (await client.get("/notifications", params={"cursor": cursor}, headers=order.buyer)).json()
    assert again == {"items": [], "next_cursor": cursor}


async def test_without_a_cursor_a_caller_gets_the_latest_messages_newest_last(client: AsyncClient) -> None:
    order = await push_order(client)
    case_id = (await open_case(client, order))["case_id"]
    assert (await act(client, case_id, order.merchant, action="approve")).status_code == 200
    everything = (await client.get("/notifications", headers=order.buyer)).json()["items"]

    latest = (await client.get("/notifications", params={"limit": 2}, headers=order.buyer)).json()["items"]

    assert latest == everything[-2:]
    bad = await client.get("/notifications", params={"cursor": "not-a-cursor"}, headers=order.buyer)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_cursor"
