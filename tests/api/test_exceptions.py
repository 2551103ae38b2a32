"""Order exceptions over HTTP: the scan opens the case, both parties see it, the merchant resolves from the menu."""

import uuid
from datetime import UTC, datetime, timedelta

from httpx import AsyncClient
from temporalio.testing import WorkflowEnvironment

from settings import Settings
from tests.api.helpers import SYSTEM, act, error, push_order
from workflows.messages import ScanRequest
from workflows.scans import ScanWorkflow


async def test_a_stalled_order_is_resolved_by_the_merchant_from_the_menu(
    client: AsyncClient, time_skipping_env: WorkflowEnvironment, api_settings: Settings
) -> None:
    order = await push_order(client, delivered=False)
    at = (datetime.now(UTC) - timedelta(hours=80)).isoformat()
    event = {"tracking_no": order.tracking_no, "status": "in_transit", "location": "上海转运中心", "at": at}
    assert (await client.post("/logistics/events", json=event, headers=SYSTEM)).status_code == 202
    with time_skipping_env.auto_time_skipping_disabled():
        await time_skipping_env.client.execute_workflow(
            ScanWorkflow.run,
            ScanRequest(shop_id=order.shop_id),
            id=f"scan-{uuid.uuid4().hex}",
            task_queue=api_settings.task_queue,
        )

    [seen_by_buyer] = (await client.get("/cases", headers=order.buyer)).json()["items"]
    [case] = (await client.get("/cases", params={"kind": "logistics_stalled"}, headers=order.merchant)).json()["items"]
    assert seen_by_buyer["case_id"] == case["case_id"] and case["status"] == "awaiting_merchant"
    alerts = (await client.get("/notifications", headers=order.merchant)).json()["items"]
    assert any(order.order_id in n["text"] and "催促快递并发放优惠券" in n["text"] for n in alerts)

    off_menu = await act(client, case["case_id"], order.merchant, action="resolve", resolution="reship_pay_shipping")
    assert off_menu.status_code == 422 and error(off_menu)["code"] == "invalid_request"
    by_buyer = await act(client, case["case_id"], order.buyer, action="resolve", resolution="urge_courier_coupon")
    assert by_buyer.status_code == 403

    resolved = await act(
        client, case["case_id"], order.merchant, action="resolve", resolution="urge_courier_coupon", note="已催快递"
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"
    timeline = (await client.get(f"/cases/{case['case_id']}/timeline", headers=order.buyer)).json()
    types = [e["type"] for e in timeline["items"]]
    assert types[-5:] == ["resolution_chosen", "decision_made", "courier_urged", "coupon_issued", "case_closed"]
    again = await act(client, case["case_id"], order.merchant, action="resolve", resolution="urge_courier_coupon")
    assert again.status_code == 409
