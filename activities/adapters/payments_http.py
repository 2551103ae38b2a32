"""The payment service provider over HTTP.

`POST {base}/refunds` and `POST {base}/coupons` with `{"order_id", "amount_cents"}` and the business key as the
`Idempotency-Key` header. A 2xx answers `{"reference": "..."}`; a 4xx is a final refusal (`PaymentRefused`, with the
provider's message); a 5xx, 408, 429, a timeout or a broken connection is `PaymentUnavailable`, which the money
activity lets Temporal retry with the same key. There is no retry loop here: the activity's retry policy is the retry.

`GET {base}/refunds/{business_key}` (and `/coupons/…`, `/reversals/…`; the key URL-encoded) asks what became of a
payment: `{"reference", "status"}` with `status` `succeeded`, `failed` or `pending`, or 404 when the provider never
took a payment under that key. The reconciliation asks it for a move whose case ended before the answer was booked.
"""

from datetime import timedelta
from urllib.parse import quote

from activities.adapters.http_json import JsonService
from activities.adapters.payments import PaymentFound, PaymentRefused

PATHS = {"refund": "refunds", "coupon": "coupons", "compensation": "coupons", "reversal": "reversals"}
STATUSES = {
    "succeeded": "succeeded",
    "paid": "succeeded",
    "failed": "failed",
    "refused": "failed",
    "pending": "pending",
}


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

    async def lookup(self, *, kind: str, idempotency_key: str) -> PaymentFound | None:
        """What the provider did under `idempotency_key`; None: it never took a payment under it (404). An answer
        without a known status, or a succeeded one without its reference, is `PaymentUnavailable` (ask again)."""
        body = await self.get_if_found(f"{PATHS[kind]}/{quote(idempotency_key, safe='')}")
        if body is None:
            return None
        status = STATUSES.get(str(body.get("status")))
        if status is None:
            raise PaymentUnavailable(f"the provider answered an unknown status for {idempotency_key}: {body!r:.200}")
        if status == "succeeded":
            return PaymentFound("succeeded", self.text(body, "reference"))
        reference = body.get("reference")
        return PaymentFound(
            "failed" if status == "failed" else "pending", reference if isinstance(reference, str) else None
        )
