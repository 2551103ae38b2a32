"""A JSON service over HTTP for the outside systems' adapters (payments, fulfilment, courier): the business key as
`Idempotency-Key`, a 4xx is a final refusal (`RemedyRefused` by default, with the service's message), a 5xx, 408, 425,
429, a timeout or a broken connection is "unavailable" (`RemedyUnavailable` by default), which the activity's retry
policy retries with the same key. No retry loop here. Each adapter names its own two error types.
"""

from collections.abc import Callable
from datetime import timedelta
from types import TracebackType
from typing import Any, Self

import httpx

from activities.adapters.remedy_errors import RemedyRefused, RemedyUnavailable

RETRYABLE_CLIENT_ERRORS = frozenset({408, 425, 429})  # "not now" rather than "no"


class JsonService:
    """One connection pool to one service: close it with `aclose()` or `async with`."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        timeout: timedelta,
        api_key: str | None = None,
        refused: Callable[[str], Exception] = RemedyRefused,
        unavailable: Callable[[str], Exception] = RemedyUnavailable,
    ) -> None:
        self.name = name
        self._refused, self._unavailable = refused, unavailable
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(
            base_url=base_url, headers=headers, timeout=httpx.Timeout(timeout.total_seconds())
        )

    async def post(self, path: str, idempotency_key: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._send("POST", path, json=body, headers={"Idempotency-Key": idempotency_key})

    async def get(self, path: str) -> dict[str, Any]:
        return await self._send("GET", path)

    async def get_if_found(self, path: str) -> dict[str, Any] | None:
        """As `get`, but None when the service answers 404 (it has no such thing)."""
        response = await self._request("GET", path)
        return None if response.status_code == 404 else self._body("GET", path, response)

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

    async def _send(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        return self._body(method, path, await self._request(method, path, **options))

    async def _request(self, method: str, path: str, **options: Any) -> httpx.Response:
        try:
            return await self._client.request(method, path, **options)
        except httpx.TimeoutException as error:
            raise self._unavailable(f"the {self.name} did not answer {method} {path} in time") from error
        except httpx.TransportError as error:
            raise self._unavailable(f"the {self.name} could not be reached for {path}: {error!r}") from error

    def _body(self, method: str, path: str, response: httpx.Response) -> dict[str, Any]:
        if response.is_client_error and response.status_code not in RETRYABLE_CLIENT_ERRORS:
            raise self._refused(_message(response, self.name))
        if not response.is_success:
            raise self._unavailable(f"the {self.name} answered {response.status_code} to {method} {path}")
        try:
            body = response.json()
        except ValueError as error:
            raise self._unavailable(f"the {self.name} answered {response.status_code} without JSON") from error
        if not isinstance(body, dict):
            raise self._unavailable(f"the {self.name} answered {response.status_code} without a JSON object")
        return body

    def text(self, body: dict[str, Any], field: str) -> str:
        """A required text field of a 2xx answer; without it the effect may still have happened, so asking again
        with the same key (not refusing) is the safe answer."""
        value = body.get(field)
        if not isinstance(value, str) or not value:
            raise self._unavailable(f"the {self.name} answered without {field}")
        return value


def _message(response: httpx.Response, service: str) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        message = error.get("message") if isinstance(error, dict) else body.get("message")
        if isinstance(message, str) and message:
            return message
    return response.text.strip()[:500] or f"the {service} refused with {response.status_code}"
