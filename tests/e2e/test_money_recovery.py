"""WF-04: a worker killed while a refund is with the provider. The money activity heartbeats, so the server notices
the dead worker within its heartbeat timeout (5 s, not the 30 s start-to-close), a new worker retries with the same
business key, and the provider pays once. The recovery time is printed (run with `-s` to see it)."""

import asyncio
import time
import uuid

import httpx
import pytest

from tests.e2e.conftest import Service
from tests.e2e.test_refund_story import case_body, delivered_order, token
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e
RECOVERY_BOUND_SECONDS = 20  # generous for a loaded 2-core machine; measured ≈ 6-8 s (heartbeat timeout + retry)


async def test_a_refund_whose_worker_died_mid_payment_resumes_within_seconds_and_pays_once(service: Service) -> None:
    buyer, shop = f"b-{uuid.uuid4().hex[:8]}", f"s-{uuid.uuid4().hex[:8]}"
    as_buyer, as_merchant = token("buyer", buyer), token("merchant", "clerk-1", shop)
    async with httpx.AsyncClient(base_url=service.base_url, timeout=90) as http:
        order_id = await delivered_order(http, buyer, shop)
        case_id = (await http.post("/cases", json=case_body(order_id), headers=as_buyer)).json()["case_id"]
        key = f"case-{case_id}:refund:1"
        service.payments.pay_then_stall_next(seconds=120)

        approving = asyncio.create_task(
            http.post(f"/cases/{case_id}/actions", json={"action": "approve"}, headers=as_merchant)
        )
        await eventually(lambda: _calls_of(service, key), lambda calls: calls > 0)
        await service.processes.crash_worker()
        killed_at = time.monotonic()
        await service.processes.start_worker()

        approved = await approving
        recovered_in = time.monotonic() - killed_at

    print(f"\nWF-04 refund resumed {recovered_in:.1f} s after its worker was killed mid-payment")
    assert approved.status_code == 200 and approved.json()["status"] == "resolved", approved.text
    assert len(service.payments.payments_for(key)) == 1
    assert sum(call.idempotency_key == key for call in service.payments.calls) >= 2
    assert recovered_in < RECOVERY_BOUND_SECONDS


async def _calls_of(service: Service, key: str) -> int:
    return sum(call.idempotency_key == key for call in service.payments.calls)
