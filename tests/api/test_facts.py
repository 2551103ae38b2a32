"""`GET /cases/{id}/facts`: what the merchant and the agent decide on, with the rule book's recommendation."""

from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import AsyncClient

from rulebook.enums import Outcome, Role
from tests.api.evidence_helpers import png, upload
from tests.api.helpers import AGENT, SYSTEM, OrderRef, act, auth, error, new_id, open_case, push_order


async def _shipped_with_tracking(client: AsyncClient, *hours_ago: int) -> OrderRef:
    """An order shipped and never delivered, with tracking events `hours_ago` hours back (oldest first)."""
    order = await push_order(client, delivered=False)
    now = datetime.now(UTC)
    statuses = ["picked_up", "in_transit", "in_transit", "out_for_delivery"]
    for status, hours in zip(statuses, hours_ago, strict=False):
        at = (now - timedelta(hours=hours)).isoformat()
        event = {"tracking_no": order.tracking_no, "status": status, "location": f"{hours}h 前", "at": at}
        assert (await client.post("/logistics/events", json=event, headers=SYSTEM)).status_code == 202
    return order


async def _facts(client: AsyncClient, case_id: str, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get(f"/cases/{case_id}/facts", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_merchant_sees_the_order_the_stalled_tracking_the_buyers_words_evidence_and_the_rules_view(
    client: AsyncClient,
) -> None:
    order = await _shipped_with_tracking(client, 100, 80)
    case = await open_case(client, order, kind="return_refund", reason="quality_defect", description="没收到")
    case_id = case["case_id"]
    assert (await act(client, case_id, order.buyer, action="message", text="快递三天没动了")).status_code == 200
    assert (await act(client, case_id, order.merchant, action="message", text="已催促快递")).status_code == 200
    evidence_id = (await upload(client, case_id, order.buyer, png(), kind="logistics_screenshot")).json()["evidence_id"]

    facts = await _facts(client, case_id, order.merchant)

    assert (facts["case_id"], facts["kind"], facts["description"], facts["shipment"]) == (
        case_id,
        "return_refund",
        "没收到",
        "in_transit",
    )
    placed = facts["order"]
    assert (placed["order_id"], placed["total_cents"], placed["shipping_address"]["city"]) == (
        order.order_id,
        9900,
        "上海",
    )
    assert placed["items"][0]["listing"]["after_sales_policy"]["seven_day_return"] is True
    assert placed["shipments"] == [{"carrier": "SF", "tracking_no": order.tracking_no, "warehouse_id": None}]
    assert facts["listing_policy"]["description"] == "100% cotton"
    assert [(t["status"], t["location"], t["stalled"]) for t in facts["tracking"]] == [
        ("picked_up", "100h 前", False),
        ("in_transit", "80h 前", True),  # nothing moved for 80 h ≥ T-STALL (72 h)
    ]
    assert [m["text"] for m in facts["buyer_messages"]] == ["快递三天没动了"]
    assert [e["evidence_id"] for e in facts["evidence"] if e["kind"] != "system"] == [evidence_id]
    recommendation = facts["recommendation"]
    assert set(recommendation) == {
        "outcome",
        "amount_cents",
        "rules",
        "rationale_zh",
        "rationale_en",
        "findings",
        "evidence_ids",
        "urgent",
    }
    assert recommendation["outcome"] in set(Outcome) and recommendation["rationale_en"]


async def test_tracking_that_moved_recently_is_not_marked_stalled_and_the_agent_sees_the_facts_too(
    client: AsyncClient,
) -> None:
    order = await _shipped_with_tracking(client, 100, 80, 10)
    case_id = (await open_case(client, order, kind="return_refund", reason="quality_defect"))["case_id"]

    facts = await _facts(client, case_id, AGENT)

    assert [(t["status"], t["stalled"]) for t in facts["tracking"]] == [
        ("picked_up", False),
        ("in_transit", False),
        ("in_transit", False),
    ]


async def test_the_recommendation_is_the_rule_books_and_an_agent_starts_from_its_findings(client: AsyncClient) -> None:
    returnable = await push_order(client)
    seven_days = (await open_case(client, returnable, kind="return_refund", reason="no_reason"))["case_id"]
    delivered = await push_order(client)
    negotiate = (await open_case(client, delivered, kind="refund_only", reason="quality_defect"))["case_id"]

    granted = (await _facts(client, seven_days, AGENT))["recommendation"]
    to_agent = (await _facts(client, negotiate, AGENT))["recommendation"]

    assert (granted["outcome"], granted["amount_cents"], granted["rules"]) == ("return_refund", 9900, ["R-7D"])
    assert (to_agent["outcome"], to_agent["rules"]) == ("to_agent", ["R-SHIPPED-REFUND-ONLY"])
    assert [f.split(":")[0] for f in to_agent["findings"]] == ["R-SHIPPED-REFUND-ONLY"]


async def test_the_buyer_and_the_system_may_not_read_facts_and_another_shop_does_not_see_the_case(
    client: AsyncClient,
) -> None:
    order = await push_order(client)
    case_id = (await open_case(client, order))["case_id"]
    other_shop = auth(Role.MERCHANT, "clerk", shop_id=new_id("shop"))

    for headers, status, code in (
        (order.buyer, 403, "forbidden"),
        (SYSTEM, 403, "forbidden"),
        (other_shop, 404, "not_found"),
    ):
        response = await client.get(f"/cases/{case_id}/facts", headers=headers)
        assert (response.status_code, error(response)["code"]) == (status, code)
    assert (await client.get(f"/cases/{case_id}/facts")).status_code == 401
