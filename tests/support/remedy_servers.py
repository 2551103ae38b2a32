"""A fulfilment service and a courier over real HTTP for tests: the contracts `HttpFulfilment` and `HttpCourier`
speak (activities/adapters/*_http.py), on loopback ports.

Each honours idempotency keys (the same key gets the same answer and acts once), records every call and every
effect, and can be told to fail the next calls with a 5xx or refuse the next one with a 4xx.
"""

import contextlib
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.loopback import serving


@dataclass(frozen=True)
class Call:
    path: str
    idempotency_key: str | None
    authorization: str | None


@dataclass(frozen=True)
class Effect:
    path: str
    idempotency_key: str
    body: dict[str, Any]
    answer: dict[str, Any]


Handler = Callable[[dict[str, Any], str], dict[str, Any]]


@dataclass
class ScriptedService:
    """A service's state and script. `url` is set while it runs."""

    api_key: str | None = None
    url: str = ""
    calls: list[Call] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    _script: deque[tuple[int, str]] = field(default_factory=deque)

    def fail_next(self, count: int, status: int = 500) -> None:
        self._script.extend((status, "the service is having a bad day") for _ in range(count))

    def refuse_next(self, status: int, message: str) -> None:
        self._script.append((status, message))

    def effects_for(self, key: str) -> list[Effect]:
        return [e for e in self.effects if e.idempotency_key == key]

    def _effect(self, path: str, handler: Handler) -> Callable[[Request], Awaitable[JSONResponse]]:
        async def endpoint(request: Request) -> JSONResponse:
            key = request.headers.get("Idempotency-Key")
            refused = self._refusal(request, path)
            if refused is not None:
                return refused
            if not key:
                return _error(400, "the Idempotency-Key header is required")
            body = await request.json()
            done = self.effects_for(key)
            if done:
                if done[0].body != body or done[0].path != path:
                    return _error(422, f"{key} was used for another request")
                return JSONResponse(done[0].answer)
            answer = handler(body, key)
            self.effects.append(Effect(path, key, body, answer))
            return JSONResponse(answer)

        return endpoint

    def _refusal(self, request: Request, path: str) -> JSONResponse | None:
        self.calls.append(Call(path, request.headers.get("Idempotency-Key"), request.headers.get("Authorization")))
        if self.api_key is not None and request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(401, "a valid API key is required")
        if self._script:
            status, message = self._script.popleft()
            return _error(status, message)
        return None


@dataclass
class FulfilmentServer(ScriptedService):
    stock: dict[str, dict[str, int]] = field(default_factory=dict)  # sku → warehouse → units

    def app(self) -> Starlette:
        async def stock(request: Request) -> JSONResponse:
            refused = self._refusal(request, "stock")
            if refused is not None:
                return refused
            return JSONResponse({"warehouses": self.stock.get(request.path_params["sku"], {})})

        return Starlette(
            routes=[
                Route("/cancellations", self._effect("cancellations", _referenced("FC")), methods=["POST"]),
                Route("/reshipments", self._effect("reshipments", self._reship), methods=["POST"]),
                Route("/transfers", self._effect("transfers", _referenced("TR")), methods=["POST"]),
                Route("/transport-upgrades", self._effect("transport-upgrades", _referenced("UP")), methods=["POST"]),
                Route("/stock/{sku}", stock, methods=["GET"]),
            ]
        )

    def _reship(self, body: dict[str, Any], key: str) -> dict[str, Any]:
        warehouse = body.get("warehouse") or next(
            (w for w, units in self.stock.get(body["items"][0]["sku"], {}).items() if units > 0), "WH-SH"
        )
        tracking_no = f"SF{uuid.uuid4().hex[:10].upper()}"
        return {"reference": _ref("RS"), "carrier": "SF", "tracking_no": tracking_no, "warehouse": warehouse}


@dataclass
class CourierServer(ScriptedService):
    intercept_outcome: str = "accepted"
    photos: dict[str, str] = field(default_factory=dict)  # tracking number → photo reference

    def app(self) -> Starlette:
        def intercept(body: dict[str, Any], key: str) -> dict[str, Any]:
            return {"reference": _ref("IC"), "outcome": self.intercept_outcome}

        def record(body: dict[str, Any], key: str) -> dict[str, Any]:
            return {"reference": _ref("DR"), "photo_ref": self.photos.get(body["tracking_no"])}

        return Starlette(
            routes=[
                Route("/interceptions", self._effect("interceptions", intercept), methods=["POST"]),
                Route("/urges", self._effect("urges", _referenced("UR")), methods=["POST"]),
                Route("/delivery-records", self._effect("delivery-records", record), methods=["POST"]),
            ]
        )


def _ref(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def _referenced(prefix: str) -> Handler:
    return lambda body, key: {"reference": _ref(prefix)}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": "refused" if status < 500 else "unavailable", "message": message}}, status)


@contextlib.asynccontextmanager
async def running_fulfilment_server(api_key: str | None = None) -> AsyncIterator[FulfilmentServer]:
    service = FulfilmentServer(api_key)
    async with serving(service.app()) as url:
        service.url = url
        yield service


@contextlib.asynccontextmanager
async def running_courier_server(api_key: str | None = None) -> AsyncIterator[CourierServer]:
    service = CourierServer(api_key)
    async with serving(service.app()) as url:
        service.url = url
        yield service
