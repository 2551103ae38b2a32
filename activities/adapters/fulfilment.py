"""The fulfilment service (the merchant's warehouses): its interface and its development fake.

Every call that changes something carries the business key (`case-<id>:reship:1`) as its idempotency key and
returns the service's reference; the same key never ships, cancels or moves goods twice.
"""

import uuid
from dataclasses import dataclass
from typing import Protocol

from activities.adapters.remedy_errors import RemedyRefused


@dataclass(frozen=True)
class Shipped:
    """A reshipment or replacement on its way: the parcel the case follows, and where it left from."""

    reference: str
    carrier: str
    tracking_no: str
    warehouse: str


@dataclass(frozen=True)
class Item:
    sku: str
    quantity: int


class Fulfilment(Protocol):
    async def cancel(self, *, idempotency_key: str, order_id: str) -> str:
        """Cancels an unshipped order's fulfilment; the cancellation's reference."""
        ...

    async def reship(
        self, *, idempotency_key: str, order_id: str, items: list[Item], warehouse: str | None, fastest: bool
    ) -> Shipped:
        """Ships `items` again (a reshipment or a replacement), from `warehouse` or the service's choice; `fastest`
        asks for its fastest transport."""
        ...

    async def stock(self, *, sku: str) -> dict[str, int]:
        """Units of `sku` on hand per warehouse."""
        ...

    async def transfer(
        self, *, idempotency_key: str, sku: str, quantity: int, from_warehouse: str, to_warehouse: str
    ) -> str:
        """Moves stock between warehouses; the transfer's reference."""
        ...

    async def upgrade_transport(self, *, idempotency_key: str, order_id: str, tracking_no: str) -> str:
        """Moves a shipment to a faster transport; the upgrade's reference."""
        ...


class FakeFulfilment:
    """Stands in for the warehouses: honours keys, counts real calls, ships from the first warehouse with stock.
    Keys in `refuse` are refused for good; `stock_by_sku` is what `stock` answers (every SKU 10 in `WH-SH` unless
    set)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.refuse: set[str] = set()
        self.stock_by_sku: dict[str, dict[str, int]] = {}
        self._done: dict[str, object] = {}

    async def cancel(self, *, idempotency_key: str, order_id: str) -> str:
        return self._reference("FC", idempotency_key)

    async def reship(
        self, *, idempotency_key: str, order_id: str, items: list[Item], warehouse: str | None, fastest: bool
    ) -> Shipped:
        reference = self._reference("RS", idempotency_key)
        if warehouse is None:
            stocked = [w for item in items for w, n in (await self.stock(sku=item.sku)).items() if n >= item.quantity]
            warehouse = stocked[0] if stocked else "WH-SH"
        return Shipped(reference, "SF", self.tracking_no_for(idempotency_key), warehouse)

    @staticmethod
    def tracking_no_for(idempotency_key: str) -> str:
        """The tracking number the fake gives the reshipment of this key (the same on every run)."""
        return "SF" + uuid.uuid5(uuid.NAMESPACE_URL, idempotency_key).hex[:12].upper()

    async def stock(self, *, sku: str) -> dict[str, int]:
        self.calls.append(f"stock:{sku}")
        return dict(self.stock_by_sku.get(sku, {"WH-SH": 10}))

    async def transfer(
        self, *, idempotency_key: str, sku: str, quantity: int, from_warehouse: str, to_warehouse: str
    ) -> str:
        return self._reference("TR", idempotency_key)

    async def upgrade_transport(self, *, idempotency_key: str, order_id: str, tracking_no: str) -> str:
        return self._reference("UP", idempotency_key)

    def _reference(self, prefix: str, key: str) -> str:
        self.calls.append(key)
        if key in self.refuse:
            raise RemedyRefused(f"the fulfilment service refused {key}")
        return f"{prefix}-{uuid.uuid5(uuid.NAMESPACE_URL, key).hex[:16]}"
