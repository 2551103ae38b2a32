"""Remedies carried out over real HTTP: the API, the worker and its fulfilment service, courier and payment
provider as separate HTTP servers. A not_received case is reshipped and resolves when the new parcel is delivered;
an in-transit refund_only is intercepted and refunded once when the parcel is back."""

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.api.helpers import order_body
from tests.e2e.conftest import Service
from tests.e2e.test_refund_story import token
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e
SYSTEM = token("system", "order-feed")


async def shipped_order(http: httpx.AsyncClient, buyer: str, shop: str, status: str) -> tuple[str, str]:
    """An order whose parcel's last tracking event is `status`; returns the order id and tracking number."""
    order_id, tracking_no = f"o-{uuid.uuid4().hex[:10]}", f"SF{uuid.uuid4().hex[:10]}"
    assert (await http.post("/orders", json=order_body(order_id, buyer, shop), headers=SYSTEM)).status_code == 201
    shipment = {"carrier": "SF", "tracking_no": tracking_no}
    assert (await http.post(f"/orders/{order_id}/shipments", json=shipment, headers=SYSTEM)).status_code == 201
    await tracking(http, tracking_no, status)
    return order_id, tracking_no


async def tracking(http: httpx.AsyncClient, tracking_no: str, status: str) -> None:
    event = {"tracking_no": tracking_no, "status": status, "location": "杭州", "at": datetime.now(UTC).isoformat()}
    response = await http.post("/logistics/events", json=event, headers=SYSTEM)
    assert response.status_code == 202, response.text


async def case_of(http: httpx.AsyncClient, case_id: str, headers: dict[str, str]) -> dict[str, Any]:
    response = await http.get(f"/cases/{case_id}", headers=headers)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def timeline(http: httpx.AsyncClient, case_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await http.get(f"/cases/{case_id}/timeline", headers=headers)).json()["items"]
    return items


async def test_not_received_is_reshipped_and_the_new_parcel_resolves_the_case(service: Service) -> None:
    buyer, shop = f"b-{uuid.uuid4().hex[:8]}", f"s-{uuid.uuid4().hex[:8]}"
    as_buyer = token("buyer", buyer)
    async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as http:
        order_id, _ = await shipped_order(http, buyer, shop, "delivered")
        body = {"order_id": order_id, "kind": "not_received", "reason": "other", "description": "没收到"}
        opened = await http.post("/cases", json=body, headers=as_buyer)
        assert opened.status_code == 201, opened.text
        case_id = opened.json()["case_id"]

        # The merchant stays silent (T-MERCHANT is seconds here): R-NOT-RECEIVED decides a reshipment.
        waiting = await eventually(
            lambda: case_of(http, case_id, as_buyer), lambda c: c["status"] == "replacement_in_transit", within=30
        )
        assert waiting["decision"]["outcome"] == "reship"
        (created,) = [e for e in await timeline(http, case_id, as_buyer) if e["type"] == "reshipment_created"]
        shipped = service.fulfilment.effects_for(f"case-{case_id}:reship:1")
        assert [e.answer["tracking_no"] for e in shipped] == [created["data"]["tracking_no"]]
        assert created["data"]["reference"] == shipped[0].answer["reference"]

        await tracking(http, created["data"]["tracking_no"], "in_transit")
        await tracking(http, created["data"]["tracking_no"], "delivered")

        resolved = await eventually(
            lambda: case_of(http, case_id, as_buyer), lambda c: c["status"] == "resolved", within=30
        )
        assert resolved["decision"]["outcome"] == "reship"
        assert [e["type"] for e in await timeline(http, case_id, as_buyer)][-2:] == ["tracking_event", "case_closed"]
        assert len(service.fulfilment.effects_for(f"case-{case_id}:reship:1")) == 1
        notes = (await http.get("/notifications", headers=as_buyer)).json()["items"]
        assert any(created["data"]["tracking_no"] in n["text"] for n in notes)


async def test_an_intercepted_parcel_is_refunded_once_when_it_is_back(service: Service) -> None:
    buyer, shop = f"b-{uuid.uuid4().hex[:8]}", f"s-{uuid.uuid4().hex[:8]}"
    as_buyer, as_merchant = token("buyer", buyer), token("merchant", f"m-{shop}", shop)
    async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as http:
        order_id, tracking_no = await shipped_order(http, buyer, shop, "in_transit")
        body = {"order_id": order_id, "kind": "refund_only", "reason": "other", "description": "不想要了"}
        opened = await http.post("/cases", json=body, headers=as_buyer)
        assert opened.status_code == 201, opened.text
        case_id = opened.json()["case_id"]

        intercepted = await http.post(
            f"/cases/{case_id}/actions", json={"action": "intercept", "note": "买家不要了"}, headers=as_merchant
        )
        assert intercepted.status_code == 200, intercepted.text
        assert intercepted.json()["status"] == "return_in_transit"
        (interception,) = service.courier.effects_for(f"case-{case_id}:intercept:1")
        assert interception.body == {"carrier": "SF", "tracking_no": tracking_no}
        assert service.payments.payments_for(f"case-{case_id}:refund:1") == []

        await tracking(http, tracking_no, "returned")
        await tracking(http, tracking_no, "returned")  # the feed repeats itself

        resolved = await eventually(
            lambda: case_of(http, case_id, as_buyer), lambda c: c["status"] == "resolved", within=30
        )
        assert resolved["decision"]["outcome"] == "refund"
        events = await timeline(http, case_id, as_buyer)
        refunds = [e for e in events if e["type"] == "refund_executed"]
        paid = service.payments.payments_for(f"case-{case_id}:refund:1")
        assert [p.reference for p in paid] == [refunds[0]["data"]["external_ref"]] and len(refunds) == 1
        (parcel_event,) = [e for e in events if e["type"] == "parcel_intercepted"]
        assert parcel_event["data"]["reference"] == interception.answer["reference"]
