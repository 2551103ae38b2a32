"""Opening, reading, listing and acting on cases through the API, with the real workflow behind it."""

from typing import Any

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.case import Case
from models.ledger import LedgerEntry
from rulebook.enums import Role
from tests.api.helpers import AGENT, act, auth, case_body, error, new_id, open_case, push_order

Sessions = async_sessionmaker[AsyncSession]

CASE_FIELDS = {
    "case_id",
    "kind",
    "status",
    "order_id",
    "buyer_id",
    "shop_id",
    "amount_cents",
    "reason",
    "description",
    "urgent",
    "awaiting",
    "deadline",
    "decision",
    "proposal",
    "created_at",
    "updated_at",
    "workflow_id",
}


async def test_a_buyer_opens_a_refund_request_and_the_merchant_is_given_until_the_deadline(client: AsyncClient) -> None:
    order = await push_order(client)
    case = await open_case(client, order, description="seams opened", urgent=True)

    assert set(case) == CASE_FIELDS
    assert case["workflow_id"] == f"case-{case['case_id']}"
    assert (case["kind"], case["status"], case["awaiting"]) == ("refund_only", "awaiting_merchant", "merchant")
    assert (case["order_id"], case["buyer_id"], case["shop_id"]) == (order.order_id, order.buyer_id, order.shop_id)
    assert (case["amount_cents"], case["reason"], case["urgent"]) == (9900, "quality_defect", True)
    assert case["deadline"] is not None and case["decision"] is None
    read = await client.get(f"/cases/{case['case_id']}", headers=order.buyer)
    assert read.status_code == 200 and read.json() == case


async def test_an_order_not_yet_shipped_is_refunded_at_once(client: AsyncClient, db: Sessions) -> None:
    order = await push_order(client, shipped=False)
    case = await open_case(client, order, reason="not_shipped", amount_cents=5000)

    assert (case["status"], case["awaiting"], case["deadline"]) == ("resolved", None, None)
    decision = case["decision"]
    assert (decision["outcome"], decision["amount_cents"], decision["by"]) == ("refund", 5000, "system")
    assert decision["rules"] == ["R-SHIPPED-REFUND-ONLY"] and decision["rationale"]
    assert [(e.kind, e.amount_cents) for e in await _ledger(db, case["case_id"])] == [("refund", 5000)]


async def test_approve_resolves_with_one_refund_on_the_ledger_and_on_the_timeline(
    client: AsyncClient, db: Sessions
) -> None:
    order = await push_order(client)
    case = await open_case(client, order)

    approved = await act(client, case["case_id"], order.merchant, action="approve", return_address="仓库 A")
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert (body["status"], body["awaiting"]) == ("resolved", None)
    assert (body["decision"]["outcome"], body["decision"]["amount_cents"], body["decision"]["by"]) == (
        "refund",
        9900,
        "merchant",
    )
    [entry] = await _ledger(db, case["case_id"])
    assert (entry.amount_cents, entry.status, entry.external_ref is not None) == (9900, "succeeded", True)
    timeline = (await client.get(f"/cases/{case['case_id']}/timeline", headers=order.buyer)).json()["items"]
    refunds = [e for e in timeline if e["type"] == "refund_executed"]
    assert len(refunds) == 1 and refunds[0]["data"]["external_ref"] == entry.external_ref
    assert refunds[0]["actor"] == {"role": "system", "id": "platform"}


async def test_approving_a_resolved_case_is_refused_with_its_status(client: AsyncClient, db: Sessions) -> None:
    order = await push_order(client)
    case = await open_case(client, order)
    assert (await act(client, case["case_id"], order.merchant, action="approve")).status_code == 200

    again = await act(client, case["case_id"], order.merchant, action="approve")

    assert again.status_code == 409
    assert error(again) | {"message": ""} == {"code": "invalid_state", "message": "", "status": "resolved"}
    assert len(await _ledger(db, case["case_id"])) == 1


async def test_a_buyer_cannot_approve_and_nothing_happens(client: AsyncClient) -> None:
    order = await push_order(client)
    case = await open_case(client, order)

    refused = await act(client, case["case_id"], order.buyer, action="approve")

    assert refused.status_code == 403 and error(refused)["code"] == "forbidden"
    still = (await client.get(f"/cases/{case['case_id']}", headers=order.buyer)).json()
    assert still["status"] == "awaiting_merchant"
    timeline = (await client.get(f"/cases/{case['case_id']}/timeline", headers=order.buyer)).json()["items"]
    assert [e["type"] for e in timeline] == ["case_opened"]


async def test_a_second_open_case_for_the_same_order_and_kind_is_refused(client: AsyncClient, db: Sessions) -> None:
    order = await push_order(client)
    first = await open_case(client, order)

    second = await client.post("/cases", json=case_body(order), headers=order.buyer)

    assert second.status_code == 409
    assert error(second)["code"] == "case_exists" and error(second)["case_id"] == first["case_id"]
    async with db() as session:
        rows = (await session.exec(select(Case).where(Case.order_id == order.order_id))).all()
    assert [c.case_id for c in rows] == [first["case_id"]]


async def test_kinds_a_buyer_cannot_open_are_refused(client: AsyncClient) -> None:
    order = await push_order(client)

    refused = await client.post("/cases", json=case_body(order, kind="oversold"), headers=order.buyer)

    assert refused.status_code == 422
    assert error(refused)["code"] == "unsupported_kind" and "refund_only" in error(refused)["supported"]
    assert "oversold" not in error(refused)["supported"]


async def test_bad_input_is_422_with_the_details(client: AsyncClient) -> None:
    order = await push_order(client)

    bad_reason = await client.post("/cases", json=case_body(order, reason="because"), headers=order.buyer)
    too_much = await client.post("/cases", json=case_body(order, amount_cents=9901), headers=order.buyer)
    zero = await client.post("/cases", json=case_body(order, amount_cents=0), headers=order.buyer)
    mass_assigned = await client.post("/cases", json=case_body(order, status="resolved"), headers=order.buyer)
    missing = await client.post("/cases", json={"kind": "refund_only"}, headers=order.buyer)

    assert [r.status_code for r in (bad_reason, too_much, zero, mass_assigned, missing)] == [422] * 5
    reason_error = error(bad_reason)
    assert reason_error["code"] == "validation_error"
    [detail] = reason_error["details"]
    assert detail["loc"] == ["body", "reason"] and "no_reason" in detail["msg"] and "quality_defect" in detail["msg"]
    assert error(too_much)["code"] == "invalid_amount" and error(too_much)["max"] == 9900
    assert error(zero)["details"][0]["loc"] == ["body", "amount_cents"]
    assert error(mass_assigned)["details"][0]["type"] == "extra_forbidden"
    missing_fields = {tuple(d["loc"]) for d in error(missing)["details"]}
    assert missing_fields == {("body", "order_id"), ("body", "reason")}


async def test_actions_are_told_apart_by_name_and_required_fields_are_enforced(client: AsyncClient) -> None:
    order = await push_order(client)
    case = await open_case(client, order)

    no_reason = await act(client, case["case_id"], order.merchant, action="reject")
    unknown = await act(client, case["case_id"], order.merchant, action="teleport")
    no_rationale = await act(client, case["case_id"], AGENT, action="decide", outcome="refund")
    empty_message = await act(client, case["case_id"], order.buyer, action="message", text="")

    for response in (no_reason, unknown, no_rationale, empty_message):
        assert response.status_code == 422 and error(response)["code"] == "validation_error", response.text


async def test_a_rejection_escalated_by_the_buyer_waits_on_an_agent_who_decides(client: AsyncClient) -> None:
    order = await push_order(client)
    case = await open_case(client, order)
    case_id = case["case_id"]

    rejected = await act(client, case_id, order.merchant, action="reject", reason="吊牌已拆")
    assert (rejected.status_code, rejected.json()["status"]) == (200, "awaiting_buyer")
    escalated = await act(client, case_id, order.buyer, action="escalate", reason="质量问题")
    assert (escalated.json()["status"], escalated.json()["awaiting"]) == ("in_arbitration", "agent")
    queue = await client.get("/cases", params={"awaiting": "agent", "order_id": order.order_id}, headers=AGENT)
    assert [c["case_id"] for c in queue.json()["items"]] == [case_id]

    decided = await act(
        client, case_id, AGENT, action="decide", outcome="partial_refund", amount_cents=3000, rationale="缝线开裂"
    )

    body = decided.json()
    assert (body["status"], body["decision"]["outcome"], body["decision"]["amount_cents"]) == (
        "resolved",
        "partial_refund",
        3000,
    )
    assert body["decision"]["by"] == "agent" and body["decision"]["rationale"] == "缝线开裂"


async def test_lists_are_scoped_filtered_and_paged_soonest_deadline_first(client: AsyncClient) -> None:
    buyer_id = new_id("buyer")
    orders = [await push_order(client, buyer_id=buyer_id) for _ in range(3)]
    opened = [await open_case(client, order) for order in orders]
    closed = await open_case(client, await push_order(client, shipped=False, buyer_id=buyer_id))
    buyer = auth(Role.BUYER, buyer_id)

    first = await client.get("/cases", params={"limit": 2}, headers=buyer)
    second = await client.get("/cases", params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=buyer)

    ids = [c["case_id"] for c in first.json()["items"] + second.json()["items"]]
    assert ids == [c["case_id"] for c in opened] + [closed["case_id"]]  # deadlines in opening order; none last
    assert second.json()["next_cursor"] is None
    resolved = await client.get("/cases", params={"status": "resolved"}, headers=buyer)
    assert [c["case_id"] for c in resolved.json()["items"]] == [closed["case_id"]]
    shop = await client.get("/cases", params={"limit": 100}, headers=orders[0].merchant)
    assert [c["case_id"] for c in shop.json()["items"]] == [opened[0]["case_id"]]
    other_buyer = await client.get("/cases", headers=auth(Role.BUYER, new_id("buyer")))
    assert other_buyer.json() == {"items": [], "next_cursor": None}
    too_many = await client.get("/cases", params={"limit": 1000}, headers=buyer)
    assert too_many.status_code == 422
    bad_cursor = await client.get("/cases", params={"cursor": "not-a-cursor"}, headers=buyer)
    assert bad_cursor.status_code == 422 and error(bad_cursor)["code"] == "invalid_cursor"


async def _ledger(db: Sessions, case_id: str) -> list[LedgerEntry]:
    async with db() as session:
        return list((await session.exec(select(LedgerEntry).where(LedgerEntry.case_id == case_id))).all())


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [c["case_id"] for c in items]


async def test_only_agents_decide_and_a_refused_action_leaves_no_trace(client: AsyncClient, db: Sessions) -> None:
    order = await push_order(client)
    case_id = (await open_case(client, order))["case_id"]
    decide = {"action": "decide", "outcome": "refund", "rationale": "because I say so"}

    as_buyer = await act(client, case_id, order.buyer, **decide)
    as_merchant = await act(client, case_id, order.merchant, **decide)
    buyer_withdraws_for_merchant = await act(client, case_id, order.merchant, action="withdraw")

    for response in (as_buyer, as_merchant, buyer_withdraws_for_merchant):
        assert (response.status_code, error(response)["code"]) == (403, "forbidden")
    timeline = (await client.get(f"/cases/{case_id}/timeline", headers=order.buyer)).json()["items"]
    assert [e["type"] for e in timeline] == ["case_opened"] and await _ledger(db, case_id) == []


async def test_urgent_cases_come_first_in_every_list_across_pages(client: AsyncClient) -> None:
    buyer_id = new_id("buyer")
    calm = [await open_case(client, await push_order(client, buyer_id=buyer_id)) for _ in range(2)]
    urgent = await open_case(client, await push_order(client, buyer_id=buyer_id), urgent=True)
    worded = await open_case(client, await push_order(client, buyer_id=buyer_id), description="孩子等着玩,很急")
    buyer = auth(Role.BUYER, buyer_id)

    first = await client.get("/cases", params={"limit": 1}, headers=buyer)
    ids = _ids(first.json()["items"])
    cursor_ = first.json()["next_cursor"]
    while cursor_:
        page = await client.get("/cases", params={"limit": 1, "cursor": cursor_}, headers=buyer)
        ids += _ids(page.json()["items"])
        cursor_ = page.json()["next_cursor"]

    assert (urgent["urgent"], worded["urgent"]) == (True, True)  # ticked, or said in the buyer's own words
    assert ids == [urgent["case_id"], worded["case_id"], *_ids(calm)]
