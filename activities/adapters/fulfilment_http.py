"""The fulfilment service over HTTP (contract in README.md, "Fulfilment and courier"):

- cancel: `POST /cancellations {order_id}` → `{reference}`
- reship: `POST /reshipments {order_id, items: [{sku, quantity}], warehouse, fastest}`
  → `{reference, carrier, tracking_no, warehouse}`
- stock: `GET /stock/{sku}` → `{warehouses: {name: units}}`
- transfer: `POST /transfers {sku, quantity, from_warehouse, to_warehouse}` → `{reference}`
- upgrade: `POST /transport-upgrades {order_id, tracking_no}` → `{reference}`

Changing calls send the business key as `Idempotency-Key`.
"""

from dataclasses import asdict
from datetime import timedelta
from urllib.parse import quote

from activities.adapters.fulfilment import Item, Shipped
from activities.adapters.http_json import JsonService
from activities.adapters.remedy_errors import RemedyUnavailable

NAME = "fulfilment service"


class HttpFulfilment(JsonService):
    def __init__(self, base_url: str, *, timeout: timedelta, api_key: str | None = None) -> None:
        super().__init__(NAME, base_url, timeout=timeout, api_key=api_key)

    async def cancel(self, *, idempotency_key: str, order_id: str) -> str:
        return self.text(await self.post("cancellations", idempotency_key, {"order_id": order_id}), "reference")

    async def reship(
        self, *, idempotency_key: str, order_id: str, items: list[Item], warehouse: str | None, fastest: bool
    ) -> Shipped:
        body = {"order_id": order_id, "items": [asdict(i) for i in items], "warehouse": warehouse, "fastest": fastest}
        answer = await self.post("reshipments", idempotency_key, body)
        return Shipped(*(self.text(answer, f) for f in ("reference", "carrier", "tracking_no", "warehouse")))

    async def stock(self, *, sku: str) -> dict[str, int]:
        warehouses = (await self.get(f"stock/{quote(sku, safe='')}")).get("warehouses")
        if not isinstance(warehouses, dict):
            raise RemedyUnavailable(f"the {NAME} answered the stock of {sku} without warehouses")
        return {str(name): int(units) for name, units in warehouses.items()}

    async def transfer(
        self, *, idempotency_key: str, sku: str, quantity: int, from_warehouse: str, to_warehouse: str
    ) -> str:
        body = {"sku": sku, "quantity": quantity, "from_warehouse": from_warehouse, "to_warehouse": to_warehouse}
        return self.text(await self.post("transfers", idempotency_key, body), "reference")

    async def upgrade_transport(self, *, idempotency_key: str, order_id: str, tracking_no: str) -> str:
        body = {"order_id": order_id, "tracking_no": tracking_no}
        return self.text(await self.post("transport-upgrades", idempotency_key, body), "reference")
