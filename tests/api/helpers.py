"""Tokens, and orders pushed through the API as the integration would: each test builds its own ids."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import AsyncClient, Response

from api.auth import issue_token
from rulebook.enums import Role

SECRET = "api-tests-secret-at-least-32-bytes-long"
METRICS_TOKEN = "metrics-scraper-token-for-tests"  # what Prometheus sends to GET /metrics
EVIDENCE_MAX_BYTES = 256 * 1024  # a test-sized upload cap


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def auth(role: Role, sub: str, shop_id: str | None = None, secret: str = SECRET) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(secret, sub=sub, role=role, shop_id=shop_id)}"}


SYSTEM = auth(Role.SYSTEM, "order-feed")
AGENT = auth(Role.AGENT, "agent-1")


@dataclass(frozen=True)
class OrderRef:
    order_id: str
    buyer_id: str
    shop_id: str
    total_cents: int
    tracking_no: str | None

    @property
    def buyer(self) -> dict[str, str]:
        return auth(Role.BUYER, self.buyer_id)

    @property
    def merchant(self) -> dict[str, str]:
        return auth(Role.MERCHANT, f"clerk-of-{self.shop_id}", shop_id=self.shop_id)


def order_body(order_id: str, buyer_id: str, shop_id: str, total_cents: int = 9900) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "order_id": order_id,
        "buyer_id": buyer_id,
        "shop_id": shop_id,
        "items": [
            {
                "sku": "tee-1",
                "title": "纯棉T恤",
                "quantity": 1,
                "unit_price_cents": total_cents,
                "spec": {"size": "L"},
                "category": "clothing",
                "listing": {
                    "after_sales_policy": {
                        "seven_day_return": True,
                        "returnable_with_tags_only": False,
                        "washable": True,
                        "perishable": False,
                        "custom_made": False,
                    },
                    "description": "100% cotton",
                },
            }
        ],
        "total_cents": total_cents,
        "paid_at": (now - timedelta(days=3)).isoformat(),
        "ship_by": (now - timedelta(days=2)).isoformat(),
        "shipping_address": {
            "name": "张三",
            "phone": "13800000000",
            "province": "上海",
            "city": "上海",
            "district": "浦东",
            "street": "世纪大道 1 号",
            "unit": "1201",
        },
    }


async def push_order(
    client: AsyncClient, *, shipped: bool = True, delivered: bool = True, total_cents: int = 9900, buyer_id: str = ""
) -> OrderRef:
    """An order through the integration endpoints: created, optionally shipped and delivered."""
    ref = OrderRef(new_id("order"), buyer_id or new_id("buyer"), new_id("shop"), total_cents, None)
    body = order_body(ref.order_id, ref.buyer_id, ref.shop_id, total_cents)
    assert (await client.post("/orders", json=body, headers=SYSTEM)).status_code == 201
    if not shipped:
        return ref
    tracking_no = new_id("SF")
    shipment = {"carrier": "SF", "tracking_no": tracking_no}
    created = await client.post(f"/orders/{ref.order_id}/shipments", json=shipment, headers=SYSTEM)
    assert created.status_code == 201, created.text
    if delivered:
        at = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        event = {"tracking_no": tracking_no, "status": "delivered", "location": "上海", "at": at}
        assert (await client.post("/logistics/events", json=event, headers=SYSTEM)).status_code == 202
    return OrderRef(ref.order_id, ref.buyer_id, ref.shop_id, total_cents, tracking_no)


def case_body(order: OrderRef, **fields: Any) -> dict[str, Any]:
    return {"order_id": order.order_id, "kind": "refund_only", "reason": "quality_defect", **fields}


async def open_case(client: AsyncClient, order: OrderRef, **fields: Any) -> dict[str, Any]:
    response = await client.post("/cases", json=case_body(order, **fields), headers=order.buyer)
    assert response.status_code == 201, response.text
    case: dict[str, Any] = response.json()
    return case


async def act(client: AsyncClient, case_id: str, headers: dict[str, str], **body: Any) -> Response:
    return await client.post(f"/cases/{case_id}/actions", json=body, headers=headers)


def error(response: Response) -> dict[str, Any]:
    """The error object of a 4xx/5xx answer, checking the shape every error shares."""
    body = response.json()
    assert set(body) == {"error"}, body
    detail: dict[str, Any] = body["error"]
    assert isinstance(detail["code"], str) and isinstance(detail["message"], str), detail
    return detail
