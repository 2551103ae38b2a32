"""A worker that dies loses nothing: timers fire on the server, and a new worker carries the case on (WF-05)."""

import asyncio
import uuid

import httpx
import pytest

from tests.e2e.conftest import T_MERCHANT_SECONDS, Service
from tests.e2e.test_refund_story import case_body, delivered_order, token

pytestmark = pytest.mark.e2e


async def test_a_case_whose_worker_was_killed_still_steps_in_at_its_deadline_and_refunds_once(service: Service) -> None:
    buyer, shop = f"b-{uuid.uuid4().hex[:8]}", f"s-{uuid.uuid4().hex[:8]}"
    as_buyer, as_agent = token("buyer", buyer), token("agent", "agent-1")
    async with httpx.AsyncClient(base_url=service.base_url, timeout=60) as http:
        order_id = await delivered_order(http, buyer, shop)
        case = (await http.post("/cases", json=case_body(order_id), headers=as_buyer)).json()
        assert case["status"] == "awaiting_merchant"

        await service.processes.crash_worker()
        try:
            await asyncio.sleep(T_MERCHANT_SECONDS + 1)
            waiting = (await http.get(f"/cases/{case['case_id']}", headers=as_buyer)).json()
            assert waiting["status"] == "awaiting_merchant"  # the deadline passed while no worker ran
        finally:
            await service.processes.start_worker()

        stepped_in = await _poll(http, case["case_id"], as_buyer)
        assert stepped_in["status"] == "in_arbitration"  # quality claimed, no photo: an agent decides
        decide = {"action": "decide", "outcome": "refund", "rationale": "商家超时,支持买家"}
        decided = await http.post(f"/cases/{case['case_id']}/actions", json=decide, headers=as_agent)
        assert decided.json()["status"] == "resolved", decided.text
        events = (await http.get(f"/cases/{case['case_id']}/timeline", headers=as_buyer)).json()["items"]
        types = [e["type"] for e in events]
        assert types.count("deadline_passed") == 1 and types.count("refund_executed") == 1
        assert len(service.payments.payments_for(f"case-{case['case_id']}:refund:1")) == 1
        verified = (await http.get(f"/cases/{case['case_id']}/verify", headers=as_buyer)).json()
        assert verified["valid"] is True


async def _poll(http: httpx.AsyncClient, case_id: str, headers: dict[str, str]) -> dict[str, object]:
    for _ in range(600):
        case: dict[str, object] = (await http.get(f"/cases/{case_id}", headers=headers)).json()
        if case["status"] != "awaiting_merchant":
            return case
        await asyncio.sleep(0.1)
    raise AssertionError(f"case {case_id} never stepped in after the worker came back")
