"""The payment service provider's interface and its development fake.

A provider call either returns the provider's reference, raises `PaymentRefused` (final: the provider said no, and
asking again with the same key would not change that), or raises anything else (retryable: the activity tries again
with the same idempotency key, so the provider pays at most once).
"""

import uuid
from dataclasses import dataclass
from typing import Literal, Protocol


class PaymentRefused(Exception):
    """The provider refused the payment for good (e.g. a 4xx): retrying with the same key cannot help."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PaymentFound:
    """What the provider says of a payment it was asked for under a business key: `succeeded` (paid, with its
    reference), `failed` (refused for good: no money moved) or `pending` (still being processed: ask again later)."""

    status: Literal["succeeded", "failed", "pending"]
    reference: str | None = None


class PaymentProvider(Protocol):
    """The payment service provider. A real adapter calls its API with `idempotency_key`. `lookup` asks what became
    of a payment by its business key (`kind`: `refund`, `coupon`, `compensation` or `reversal`): None when the
    provider never took it — no money moved under that key."""

    async def refund(self, *, idempotency_key: str, order_id: str, amount_cents: int) -> str: ...

    async def issue_coupon(self, *, idempotency_key: str, order_id: str, amount_cents: int) -> str: ...

    async def reverse_refund(self, *, idempotency_key: str, order_id: str, amount_cents: int) -> str: ...

    async def lookup(self, *, kind: str, idempotency_key: str) -> PaymentFound | None: ...


class FakePaymentProvider:
    """Stands in for the provider: honours idempotency keys and counts real calls. Keys in `refuse` are refused
    for good, as a provider answering 4xx would."""

    def __init__(self) -> None:
        self.references: dict[str, str] = {}
        self.calls: list[str] = []
        self.refuse: set[str] = set()

    async def refund(self, *, idempotency_key: str, order_id: str, amount_cents: int) -> str:
        return self._reference("RF", idempotency_key)

    async def issue_coupon(self, *, idempotency_key: str, order_id: str, amount_cents: int) -> str:
        return self._reference("CP", idempotency_key)

    async def reverse_refund(self, *, idempotency_key: str, order_id: str, amount_cents: int) -> str:
        return self._reference("RV", idempotency_key)

    async def lookup(self, *, kind: str, idempotency_key: str) -> PaymentFound | None:
        if idempotency_key in self.refuse:
            return PaymentFound("failed")
        reference = self.references.get(idempotency_key)
        return None if reference is None else PaymentFound("succeeded", reference)

    def _reference(self, prefix: str, key: str) -> str:
        self.calls.append(key)
        if key in self.refuse:
            raise PaymentRefused(f"the provider refused {key}")
        return self.references.setdefault(key, f"{prefix}-{uuid.uuid5(uuid.NAMESPACE_URL, key).hex[:16]}")
