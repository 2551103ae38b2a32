"""The service over HTTP as its callers use it, for one benchmark run: its own buyer and shop, so what the run
counts afterwards (case rows, workflows, money moves) is the run's alone, even in a database that is not new."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx

from api.auth import issue_token
from bench import load
from bench.common import SECRET


class Failed(Exception):
    """A request that did not answer as it should: the status and the start of the body."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"{response.status_code} {response.text[:200]}")


def expect(response: httpx.Response, status: int) -> dict[str, Any]:
    if response.status_code != status:
        raise Failed(response)
    body: dict[str, Any] = response.json()
    return body


class Service:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.run_id = uuid.uuid4().hex[:8]
        self.buyer_id, self.shop_id = f"bench-buyer-{self.run_id}", f"bench-shop-{self.run_id}"
        self.system = _auth("system", "bench-feed")
        self.buyer = _auth("buyer", self.buyer_id)
        self.merchant = _auth("merchant", "bench-clerk", self.shop_id)
        self.agent = _auth("agent", "bench-agent")
        self._orders = 0

    def order_ids(self, count: int) -> list[str]:
        first, self._orders = self._orders, self._orders + count
        return [f"bench-{self.run_id}-{n:07d}" for n in range(first, first + count)]

    async def seed_order(self, order_id: str) -> None:
        """A paid order, its shipment and its delivery: a case opened on it waits on the merchant."""
        expect(await self.http.post("/orders", json=self._order(order_id), headers=self.system), 201)
        shipment = {"carrier": "SF", "tracking_no": f"SF-{order_id}"}
        expect(await self.http.post(f"/orders/{order_id}/shipments", json=shipment, headers=self.system), 201)
        delivered = {"tracking_no": shipment["tracking_no"], "status": "delivered", "location": "杭州", "at": _now()}
        expect(await self.http.post("/logistics/events", json=delivered, headers=self.system), 202)

    async def open_case(self, order_id: str) -> dict[str, Any]:
        """`POST /cases`: returns once the case waits on the merchant (201)."""
        body = {"order_id": order_id, "kind": "refund_only", "reason": "quality_defect", "description": "开线"}
        headers = {**self.buyer, "Idempotency-Key": f"open-{order_id}"}
        return expect(await self.http.post("/cases", json=body, headers=headers), 201)

    async def act(self, case_id: str, action: dict[str, Any]) -> dict[str, Any]:
        """`POST /cases/{id}/actions` as the shop's merchant."""
        return expect(await self.http.post(f"/cases/{case_id}/actions", json=action, headers=self.merchant), 200)

    async def get_case(self, case_id: str) -> dict[str, Any]:
        return expect(await self.http.get(f"/cases/{case_id}", headers=self.buyer), 200)

    async def list_cases(self, params: dict[str, str] | None = None) -> dict[str, Any]:
        return expect(await self.http.get("/cases", params=params or {}, headers=self.merchant), 200)

    def _order(self, order_id: str) -> dict[str, Any]:
        now = datetime.now(UTC)
        item = {"sku": f"sku-{self.run_id}", "title": "T恤", "quantity": 1, "unit_price_cents": 5000, "listing": {}}
        address = {"name": "李四", "phone": "1", "province": "浙江", "city": "杭州", "street": "文三路1号"}
        return {
            "order_id": order_id,
            "buyer_id": self.buyer_id,
            "shop_id": self.shop_id,
            "items": [item],
            "total_cents": 5000,
            "paid_at": now.isoformat(),
            "ship_by": (now + timedelta(days=1)).isoformat(),
            "shipping_address": address,
        }


def _auth(role: str, sub: str, shop_id: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, sub=sub, role=role, shop_id=shop_id)}"}


def _now() -> str:
    return datetime.now(UTC).isoformat()


def seed_jobs(service: Service, order_ids: list[str]) -> Iterator[tuple[str, load.Job]]:
    for order_id in order_ids:
        yield "order+ship+deliv", partial(service.seed_order, order_id)


def open_jobs(service: Service, order_ids: list[str], opened: dict[str, str]) -> Iterator[tuple[str, load.Job]]:
    """`POST /cases` on each order; `opened` collects order → case id of every 201."""

    async def open_one(order_id: str) -> None:
        opened[order_id] = (await service.open_case(order_id))["case_id"]

    for order_id in order_ids:
        yield "POST /cases", partial(open_one, order_id)


async def seed(service: Service, count: int, concurrency: int, show: bool = True) -> list[str]:
    """`count` orders posted, shipped and delivered: each waits for its case."""
    order_ids = service.order_ids(count)
    seeded = await load.run(seed_jobs(service, order_ids), concurrency)
    if show:
        print(seeded.line("order+ship+deliv"), "(setup)")
    if seeded.errors:
        raise SystemExit(f"could not post the orders: {seeded.figures('order+ship+deliv')['error_samples']}")
    return order_ids
