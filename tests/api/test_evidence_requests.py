"""`request_evidence` over HTTP: the case waits on the party asked, both are told, the asked party's message answers
it and the case returns to where it was; requests nobody may make get the error envelope."""

from typing import Any

from httpx import AsyncClient

from tests.api.helpers import AGENT, act, error, open_case, push_order

DATES = "拍清楚保质期和生产日期"


async def timeline(client: AsyncClient, headers: dict[str, str], case_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await client.get(f"/cases/{case_id}/timeline", headers=headers)).json()["items"]
    return items


async def notes(client: AsyncClient, headers: dict[str, str]) -> list[str]:
    return [n["text"] for n in (await client.get("/notifications", headers=headers)).json()["items"]]


async def test_the_merchant_asks_the_buyer_and_the_buyers_answer_returns_the_case(client: AsyncClient) -> None:
    order = await push_order(client)
    case_id = (await open_case(client, order, kind="refund_only", reason="expired"))["case_id"]

    asked = await act(client, case_id, order.merchant, action="request_evidence", **{"from": "buyer", "what": DATES})
    assert asked.status_code == 200, asked.text
    assert (asked.json()["status"], asked.json()["awaiting"]) == ("awaiting_buyer", "buyer")
    assert asked.json()["deadline"] is not None
    [*_, request] = [e for e in await timeline(client, order.buyer, case_id) if e["type"] == "evidence_requested"]
    assert (request["data"]["from"], request["data"]["what"], request["data"]["timer"]) == (
        "buyer",
        DATES,
        "T-BUYER-REPLY",
    )
    assert any(DATES in n for n in await notes(client, order.buyer))
    assert any("已请买家" in n for n in await notes(client, order.merchant))

    answer = await act(client, case_id, order.buyer, action="message", text="已上传照片,请查看")
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["awaiting"]) == ("awaiting_merchant", "merchant")
    types = [e["type"] for e in await timeline(client, order.buyer, case_id)]
    assert types[-2:] == ["message", "evidence_answered"]


async def test_an_agent_asks_the_merchant_over_http(client: AsyncClient) -> None:
    order = await push_order(client)
    case_id = (await open_case(client, order, kind="refund_only"))["case_id"]
    escalated = await act(client, case_id, order.merchant, action="escalate", reason="请平台判断")
    assert escalated.json()["status"] == "in_arbitration", escalated.text

    asked = await act(client, case_id, AGENT, action="request_evidence", **{"from": "merchant", "what": "发货称重记录"})
    assert asked.status_code == 200, asked.text
    assert (asked.json()["status"], asked.json()["awaiting"]) == ("awaiting_merchant", "merchant")
    answered = await act(client, case_id, order.merchant, action="message", text="称重 1.2kg")
    assert (answered.json()["status"], answered.json()["awaiting"]) == ("in_arbitration", "agent")


async def test_requests_nobody_may_make_get_the_error_envelope(client: AsyncClient) -> None:
    order = await push_order(client)
    case_id = (await open_case(client, order, kind="refund_only"))["case_id"]

    own = await act(client, case_id, order.merchant, action="request_evidence", **{"from": "merchant", "what": "x"})
    assert own.status_code == 422 and error(own)["code"] == "invalid_request"
    by_buyer = await act(client, case_id, order.buyer, action="request_evidence", **{"from": "merchant", "what": "x"})
    assert by_buyer.status_code == 403 and error(by_buyer)["code"] == "forbidden"
    nobody = await act(client, case_id, order.merchant, action="request_evidence", **{"from": "agent", "what": "x"})
    assert nobody.status_code == 422 and "error" in nobody.json()
    empty = await act(client, case_id, order.merchant, action="request_evidence", **{"from": "buyer", "what": ""})
    assert empty.status_code == 422 and "error" in empty.json()
    assert (await client.get(f"/cases/{case_id}", headers=order.buyer)).json()["status"] == "awaiting_merchant"
