"""A client of several API processes, as a load balancer in front of them would be: a request that meets a dead
process, a broken connection, a 5xx or its own key still in flight elsewhere is sent again — to the next process,
with the same `Idempotency-Key` — until it gets a real answer."""

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

RETRY_PAUSE_SECONDS = 0.2


class Failover:
    def __init__(self, http: httpx.AsyncClient, base_urls: Sequence[str], *, within: float = 45.0) -> None:
        self.http, self.base_urls, self.within = http, list(base_urls), within
        self.turn = 0
        self.retries = 0

    async def post(
        self, path: str, body: Mapping[str, Any], headers: Mapping[str, str], *, via: int | None = None
    ) -> httpx.Response:
        """POST with a fresh Idempotency-Key, first through API `via` (else the next in turn)."""
        keyed = {**headers, "Idempotency-Key": uuid.uuid4().hex}
        return await self._until_answered("POST", path, keyed, body, via)

    async def get(self, path: str, headers: Mapping[str, str], *, via: int | None = None) -> httpx.Response:
        return await self._until_answered("GET", path, headers, None, via)

    async def _until_answered(
        self, method: str, path: str, headers: Mapping[str, str], body: Mapping[str, Any] | None, via: int | None
    ) -> httpx.Response:
        loop = asyncio.get_running_loop()
        end, turn = loop.time() + self.within, self.turn if via is None else via
        self.turn += 1
        while True:
            url = self.base_urls[turn % len(self.base_urls)] + path
            turn += 1
            try:
                response = await self.http.request(method, url, json=body, headers=dict(headers))
                if not _worth_retrying(response):
                    return response
                last = f"{response.status_code} {response.text[:200]}"
            except httpx.TransportError as error:
                last = repr(error)
            if loop.time() > end:
                raise AssertionError(f"{method} {path} got no answer within {self.within}s; last: {last}")
            self.retries += 1
            await asyncio.sleep(RETRY_PAUSE_SECONDS)


def _worth_retrying(response: httpx.Response) -> bool:
    if response.status_code >= 500:
        return True
    return response.status_code == 409 and response.json().get("error", {}).get("code") == "idempotency_in_flight"
