"""The payment service provider over HTTP.

`POST {base}/refunds` and `POST {base}/coupons` with `{"order_id", "amount_cents"}` and the business key as the
`Idempotency-Key` header. A 2xx answers `{"reference": "..."}`; a 4xx is a final refusal (`PaymentRefused`, with the
provider's message); a 5xx, 408, 429, a timeout or a broken connection is `PaymentUnavailable`, which the money
activity lets Temporal retry with the same key. There is no retry loop here: the activity's retry policy is the retry.
"""

from datetime import timedelta

from activities.adapters.http_json import JsonService
from activities.adapters.payments import PaymentRefused


class PaymentUnavailable(Exception):
    """The provider could not be reached or did not answer properly: asking again with the same key is safe."""


class HttpPaymentProvider(JsonService):
    """A `PaymentProvider` over HTTP. Owns one connection pool: close it with `aclose()` or `async with`."""

    def __init__(self, base_url: str, *, timeout: timedelta, api_key: str | None = None) -> None:
        super().__init__(
            "provider",
            base_url,
            timeout=timeout,
            api_key=api_key,
            refused=PaymentRefused,
            unavailable=PaymentUnavailable,
        )

    async def refund(self, *, idempotency_key: str, order_id: str, amount_cents: int) -> str:
        return await self._pay("refunds", idempotency_key, order_id, amount_cents)

    async def issue_coupon(self, *, idempotency_key: str, order_id: str, amount_cents: int) -> str:
        return await self._pay("coupons", idempotency_key, order_id, amount_cents)

    async def reverse_refund(self, *, idempotency_key: str, order_id: str, amount_cents: int) -> str:
        return await self._pay("reversals", idempotency_key, order_id, amount_cents)

    async def _pay(self, path: str, idempotency_key: str, order_id: str, amount_cents: int) -> str:
        """The provider's reference. A 2xx without one may still have moved money, so it is not a refusal: asking
        again with the same key gets the payment's reference."""
        body = await self.post(path, idempotency_key, {"order_id": order_id, "amount_cents": amount_cents})
        return self.text(body, "reference")
