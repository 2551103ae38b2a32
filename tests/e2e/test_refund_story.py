"""Issue #3's story over real HTTP: orders in, a refund case opened, decided, refunded once, found in Temporal."""

import asyncio
import itertools
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client

from api.auth import issue_token
from tests.api.helpers import order_body
from tests.e2e.conftest import JWT_SECRET, T_MERCHANT_SECONDS, Service

pytestmark = pytest.mark.e2e
TEMPORAL_CLI = Path(sys.executable).parent / "temporal"


def token(role: str, sub: str, shop_id: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(JWT_SECRET, sub=sub, role=role, shop_id=shop_id)}"}


async def delivered_order(http: httpx.AsyncClient, buyer: str, shop: str, *, ship: bool = True) -> str:
    system = token("system", "order-feed")
    order_id = f"o-{uuid.uuid4().hex[:10]}"
    assert (await http.post("/orders", json=order_body(order_id, buyer, shop), headers=system)).status_code == 201
    if ship:
        tracking_no = f"SF{uuid.uuid4().hex[:10]}"
        shipment = {"carrier": "SF", "tracking_no": tracking_no}
        assert (await http.post(f"/orders/{order_id}/shipments", json=shipment, headers=system)).status_code == 201
        event = {
            "tracking_no": tracking_no,
            "status": "delivered",
            "location": "上海浦东",
            "at": datetime.now(UTC).isoformat(),
        }
        assert (await http.post("/logistics/events", json=event, headers=system)).status_code == 202
    return order_id


def case_body(order_id: str, amount_cents: int = 9900) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "kind": "refund_only",
        "reason": "quality_defect",
        "description": "开线",
        "amount_cents": amount_cents,
    }


async def test_a_refund_case_lives_its_whole_life_over_http(service: Service, dev_client: Client) -> None:
    buyer, shop = f"b-{uuid.uuid4().hex[:8]}", f"s-{uuid.uuid4().hex[:8]}"
    as_buyer, as_merchant = token("buyer", buyer), token("merchant", f"m-{shop}", shop)
    async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as http:
        order_id = await delivered_order(http, buyer, shop)
        assert (await http.post("/orders", json=order_body("x", buyer, shop), headers=as_buyer)).status_code == 403

        key = {"Idempotency-Key": uuid.uuid4().hex}
        opened = await http.post("/cases", json=case_body(order_id), headers={**as_buyer, **key})
        assert opened.status_code == 201, opened.text
        case = opened.json()
        assert (case["status"], case["awaiting"], case["workflow_id"]) == (
            "awaiting_merchant",
            "merchant",
            f"case-{case['case_id']}",
        )
        wait = datetime.fromisoformat(case["deadline"]) - datetime.fromisoformat(case["created_at"])
        assert abs(wait - timedelta(seconds=T_MERCHANT_SECONDS)) < timedelta(seconds=2)
        again = await http.post("/cases", json=case_body(order_id), headers={**as_buyer, **key})
        assert (again.status_code, again.json()) == (201, case)
        duplicate = await http.post("/cases", json=case_body(order_id), headers=as_buyer)
        assert (duplicate.status_code, duplicate.json()["error"]["code"]) == (409, "case_exists")
        assert (await http.get(f"/cases/{case['case_id']}")).status_code == 401
        assert (await http.get(f"/cases/{case['case_id']}", headers=token("buyer", "someone-else"))).status_code == 404

        url = f"/cases/{case['case_id']}/actions"
        assert (await http.post(url, json={"action": "approve"}, headers=as_buyer)).status_code == 403
        approved = await http.post(url, json={"action": "approve"}, headers=as_merchant)
        assert approved.status_code == 200, approved.text
        assert (approved.json()["status"], approved.json()["decision"]["outcome"]) == ("resolved", "refund")
        twice = await http.post(url, json={"action": "approve"}, headers=as_merchant)
        assert twice.status_code == 409
        assert (twice.json()["error"]["code"], twice.json()["error"]["status"]) == ("invalid_state", "resolved")

        events = (await http.get(f"/cases/{case['case_id']}/timeline", headers=as_buyer)).json()["items"]
        refunds = [e for e in events if e["type"] == "refund_executed"]
        assert len(refunds) == 1 and refunds[0]["data"]["external_ref"]
        paid = service.payments.payments_for(f"case-{case['case_id']}:refund:1")  # over HTTP, once
        assert [(p.reference, p.order_id) for p in paid] == [(refunds[0]["data"]["external_ref"], order_id)]
        assert all(e["prev_hash"] == p["hash"] for p, e in itertools.pairwise(events))
        verified = (await http.get(f"/cases/{case['case_id']}/verify", headers=as_buyer)).json()
        assert (verified["valid"], verified["events"], verified.get("broken_at")) == (True, len(events), None)

        notes = (await http.get("/notifications", headers=as_buyer)).json()["items"]
        assert any("退款" in n["text"] for n in notes)

    await _found_by_the_cli(service, "CaseStatus='resolved'", case["workflow_id"])
    await _readable_in_the_ui(dev_client, case["workflow_id"], shop, order_id)


async def test_a_silent_merchant_lets_the_platform_step_in_and_an_agent_decides(service: Service) -> None:
    buyer, shop = f"b-{uuid.uuid4().hex[:8]}", f"s-{uuid.uuid4().hex[:8]}"
    as_buyer, as_agent = token("buyer", buyer), token("agent", "agent-1")
    async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as http:
        order_id = await delivered_order(http, buyer, shop)
        body = {**case_body(order_id), "reason": "other", "description": "不想要了"}
        case = (await http.post("/cases", json=body, headers=as_buyer)).json()

        stepped_in = await _poll_case(http, case["case_id"], as_buyer, lambda c: c["status"] != "awaiting_merchant")
        events = (await http.get(f"/cases/{case['case_id']}/timeline", headers=as_buyer)).json()["items"]
        passed = [e for e in events if e["type"] == "deadline_passed"]
        assert passed and passed[0]["data"]["timer"] == "T-MERCHANT"
        decided = [e for e in events if e["type"] == "decision_made"]
        assert "R-TIMEOUT" in decided[0]["data"]["rules"]
        assert (stepped_in["status"], stepped_in["awaiting"]) == ("in_arbitration", "agent")
        # other tests' cases wait on agents too (the service's database is shared): the agent narrows to the order
        waiting = {"awaiting": "agent", "order_id": order_id}
        queue = (await http.get("/cases", params=waiting, headers=as_agent)).json()["items"]
        assert case["case_id"] in [c["case_id"] for c in queue]
        decide = {"action": "decide", "outcome": "refund", "amount_cents": 9900, "rationale": "商家超时,支持买家"}
        done = await http.post(f"/cases/{case['case_id']}/actions", json=decide, headers=as_agent)
        assert (done.status_code, done.json()["status"]) == (200, "resolved")
        final = (await http.get(f"/cases/{case['case_id']}/timeline", headers=as_buyer)).json()["items"]
        assert [e["type"] for e in final].count("refund_executed") == 1


async def test_an_order_not_shipped_is_refunded_without_waiting_on_the_merchant(service: Service) -> None:
    buyer, shop = f"b-{uuid.uuid4().hex[:8]}", f"s-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as http:
        order_id = await delivered_order(http, buyer, shop, ship=False)
        opened = await http.post("/cases", json=case_body(order_id, 5000), headers=token("buyer", buyer))
        assert opened.status_code == 201, opened.text
        assert (opened.json()["status"], opened.json()["decision"]["amount_cents"]) == ("resolved", 5000)


async def _poll_case(http: httpx.AsyncClient, case_id: str, headers: dict[str, str], done: Any) -> dict[str, Any]:
    for _ in range(200):
        case: dict[str, Any] = (await http.get(f"/cases/{case_id}", headers=headers)).json()
        if done(case):
            return case
        await asyncio.sleep(0.1)
    raise AssertionError(f"case {case_id} did not move: {case}")


async def _found_by_the_cli(service: Service, query: str, workflow_id: str) -> None:
    argv = [str(TEMPORAL_CLI), "workflow", "list", "--address", service.temporal_address, "--query", query]
    for _ in range(50):  # visibility is eventually consistent
        listed = (await asyncio.to_thread(subprocess.run, argv, capture_output=True, text=True, check=True)).stdout
        if workflow_id in listed:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{workflow_id} not listed by {query}")


async def _readable_in_the_ui(client: Client, workflow_id: str, shop: str, order_id: str) -> None:
    """What an agent sees in the Temporal UI: search attributes, the one-line summary and current details."""
    handle = client.get_workflow_handle(workflow_id)
    described = await handle.describe()
    attributes = {key.name: value for key, value in described.typed_search_attributes}
    assert (attributes["CaseStatus"], attributes["ShopId"], attributes["OrderId"]) == ("resolved", shop, order_id)
    assert attributes["CaseKind"] == "refund_only" and "AwaitingParty" not in attributes
    summary = await described.static_summary()
    assert summary is not None and order_id in summary
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    assert "已解决" in metadata.current_details and order_id in metadata.current_details
    assert attributes["CaseTitle"].startswith("仅退款 ¥") and "已解决" in attributes["CaseTitle"]
    assert (attributes["Priority"], attributes["AmountCents"]) == (0, 9900)
