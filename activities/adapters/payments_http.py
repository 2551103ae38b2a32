"""The payment service provider over HTTP.

`POST {base}/refunds` and `POST {base}/coupons` with `{"order_id", "amount_cents"}` and the business key as the
`Idempotency-Key` header. A 2xx answers `{"reference": "..."}`; a 4xx is a final refusal (`PaymentRefused`, with the
provider's message); a 5xx, 408, 429, a timeout or a broken connection is `PaymentUnavailable`, which the money
activity lets Temporal retry with the same key. There is no retry loop here: the activity's retry policy is the retry.
"""

from datetime import timedelta
from types import TracebackType
from typing import Any, Self

import httpx

from activities.adapters.payments import PaymentRefused

# 4xx answers that mean "not now" rather than "no": retried like a 5xx.
RETRYABLE_CLIENT_ERRORS = frozenset({408, 425, 429})


class PaymentUnavailable(Exception):
    """The provider could not be reached or did not answer properly: asking again with the same key is safe."""


class HttpPaymentProvider:
    """A `PaymentProvider` over HTTP. Owns one connection pool: close it with `aclose()` or `async with`."""

    def __init__(self, base_url: str, *, timeout: timedelta, api_key: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # One limit for each phase (connect, write, read, pool): a stalled provider costs at most that per phase.
        self._client = httpx.AsyncClient(
            base_url=base_url, headers=headers, timeout=httpx.Timeout(timeout.total_seconds())
        )

    async def refund(self, *, idempotency_key: str, order_id: str, amount_cents: int) -> str:
        return await self._pay("refunds", idempotency_key, {"order_id": order_id, "amount_cents": amount_cents})

    async def issue_coupon(self, *, idempotency_key: str, order_id: str, amount_cents: int) -> str:
        return await self._pay("coupons", idempotency_key, {"order_id": order_id, "amount_cents": amount_cents})

    async def reverse_refund(self, *, idempotency_key: str, order_id: str, amount_cents: int) -> str:
        return await self._pay("reversals", idempotency_key, {"order_id": order_id, "amount_cents": amount_cents})

    async def aclose(self) -> None:
        await self._client.aclose()

    @property
    def closed(self) -> bool:
        return self._client.is_closed

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()

    async def _pay(self, path: str, idempotency_key: str, body: dict[str, Any]) -> str:
        try:
            response = await self._client.post(path, json=body, headers={"Idempotency-Key": idempotency_key})
        except httpx.TimeoutException as error:
            raise PaymentUnavailable(f"the provider did not answer {path} in time ({idempotency_key})") from error
        except httpx.TransportError as error:
            raise PaymentUnavailable(f"the provider could not be reached for {path}: {error!r}") from error
        if response.is_success:
            return _reference(response)
        if response.is_client_error and response.status_code not in RETRYABLE_CLIENT_ERRORS:
            raise PaymentRefused(_message(response))
        raise PaymentUnavailable(f"the provider answered {response.status_code} to {path} ({idempotency_key})")


def _reference(response: httpx.Response) -> str:
    """The provider's reference of a 2xx answer. A 2xx without one may still have moved money, so it is not a
    refusal: asking again with the same key gets the payment's reference."""
    try:
        reference = response.json().get("reference")
    except (ValueError, AttributeError) as error:
        raise PaymentUnavailable(f"the provider answered {response.status_code} without a JSON object") from error
    if not isinstance(reference, str) or not reference:
        raise PaymentUnavailable(f"the provider answered {response.status_code} without a reference")
    return reference


def _message(response: httpx.Response) -> str:
    """The provider's own words: `{"error": {"message"}}` or `{"message"}`, else the body's text."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        message = error.get("message") if isinstance(error, dict) else body.get("message")
        if isinstance(message, str) and message:
            return message
    return response.text.strip()[:500] or f"the provider refused with {response.status_code}"
