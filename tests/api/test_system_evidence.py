"""System evidence over HTTP: the listing snapshot and tracking nodes a case opens on, the courier-urge record and
each executed remedy's reference are `system` evidence items on the chain, listed and served with the others."""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import AsyncClient
from temporalio.testing import WorkflowEnvironment

from settings import Settings
from tests.api.helpers import SYSTEM, OrderRef, act, error, open_case, push_order
from workflows.messages import ScanRequest
from workflows.scans import ScanWorkflow


async def system_items(client: AsyncClient, case_id: str, order: OrderRef) -> dict[str, dict[str, Any]]:
    listed = (await client.get(f"/cases/{case_id}/evidence", headers=order.buyer)).json()["items"]
    return {e["note"]: e for e in listed if e["kind"] == "system"}


async def test_a_case_opens_with_its_listing_snapshot_and_tracking_nodes_and_its_refund_joins_them(
    client: AsyncClient,
) -> None:
    order = await push_order(client)
    case = await open_case(client, order)
    case_id = case["case_id"]

    opened_with = await system_items(client, case_id, order)
    assert set(opened_with) == {"listing_snapshot", "tracking_nodes"}
    listing = opened_with["listing_snapshot"]
    served = await client.get(f"/cases/{case_id}/evidence/{listing['evidence_id']}", headers=order.buyer)
    assert served.status_code == 200 and served.headers["content-type"].startswith("application/json")
    assert hashlib.sha256(served.content).hexdigest() == listing["sha256"]
    assert served.json()["items"][0]["listing"]["description"] == "100% cotton"
    timeline = (await client.get(f"/cases/{case_id}/timeline", headers=order.buyer)).json()["items"]
    [opened] = [e for e in timeline if e["type"] == "case_opened"]  # the items ride in the event: on the chain
    assert {i["sha256"] for i in opened["data"]["system_evidence"]} == {i["sha256"] for i in opened_with.values()}

    approved = await act(client, case_id, order.merchant, action="approve")
    assert approved.status_code == 200, approved.text
    after = await system_items(client, case_id, order)
    refund = await client.get(
        f"/cases/{case_id}/evidence/{after['refund_executed']['evidence_id']}", headers=order.buyer
    )
    assert refund.json()["external_ref"] and refund.json()["amount_cents"] == order.total_cents
    assert (await client.get(f"/cases/{case_id}/verify", headers=order.buyer)).json()["valid"] is True
    notices = (await client.get("/notifications", headers=order.merchant)).json()["items"]
    assert not any("system" in n["text"] for n in notices)  # captured, not announced

    upload = await client.post(
        f"/cases/{case_id}/evidence", headers=order.buyer, files={"file": ("a.txt", b"hello")}, data={"kind": "system"}
    )
    assert upload.status_code in (409, 422) and error(upload)["code"]


async def test_the_merchant_s_courier_urge_is_system_evidence(
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
    [case] = (await client.get("/cases", params={"kind": "logistics_stalled"}, headers=order.merchant)).json()["items"]
    nodes = (await system_items(client, case["case_id"], order))["tracking_nodes"]
    cited = await client.get(f"/cases/{case['case_id']}/evidence/{nodes['evidence_id']}", headers=order.merchant)
    assert [n["location"] for n in cited.json()["nodes"]] == ["上海转运中心"]

    urged = await act(
        client, case["case_id"], order.merchant, action="resolve", resolution="urge_courier_coupon", note="已催快递"
    )
    assert urged.status_code == 200, urged.text
    items = await system_items(client, case["case_id"], order)
    assert {"courier_urge", "coupon_issued"} <= set(items)
    record = await client.get(
        f"/cases/{case['case_id']}/evidence/{items['courier_urge']['evidence_id']}", headers=order.merchant
    )
    assert (record.json()["note"], record.json()["resolution"]) == ("已催快递", "urge_courier_coupon")
