"""A payment provider over real HTTP for tests: the contract `HttpPaymentProvider` speaks, served by uvicorn on
127.0.0.1 in the test's event loop.

It honours idempotency keys (the same key gets the same reference and moves money once), records every call and
every payment, and can be told how to answer the next calls: fail with a 5xx, refuse with a 4xx, or take the money
and then stall longer than the client waits. `GET /refunds/{key}` (and `/coupons/…`, `/reversals/…`) answers what
became of a key: `{reference, status}` — `succeeded`, or `failed` for a key it refused for good — or 404 when it
never took a payment under it.
"""

import asyncio
import contextlib
import socket
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

PREFIXES = {"refunds": "RF", "coupons": "CP", "reversals": "RV"}


@dataclass(frozen=True)
class Call:
    kind: str  # "refunds" or "coupons"
    idempotency_key: str | None
    authorization: str | None


@dataclass(frozen=True)
class Payment:
    kind: str
    idempotency_key: str
    order_id: str
    amount_cents: int
    reference: str


@dataclass(frozen=True)
class Fail:
    status: int = 500


@dataclass(frozen=True)
class Refuse:
    status: int
    message: str


@dataclass(frozen=True)
class PayThenStall:
    seconds: float


@dataclass(frozen=True)
class PayThenFail:
    status: int = 503


Answer = Fail | Refuse | PayThenStall | PayThenFail


class PaymentServer:
    """The provider's state and script. `url` is set while `running_payment_server()` runs."""

    def __init__(self, api_key: str | None = None) -> None:
        self.api_key = api_key
        self.url = ""
        self.calls: list[Call] = []
        self.payments: list[Payment] = []
        self.refused: set[str] = set()  # keys refused for good (4xx): their lookup says `failed`
        self._script: deque[Answer] = deque()
        self._stopping = asyncio.Event()

    def fail_next(self, count: int, status: int = 500) -> None:
        self._script.extend(Fail(status) for _ in range(count))

    def refuse_next(self, status: int, message: str) -> None:
        self._script.append(Refuse(status, message))

    def pay_then_stall_next(self, seconds: float) -> None:
        """The next call moves the money, then answers only after `seconds` (or when the server stops)."""
        self._script.append(PayThenStall(seconds))

    def pay_then_fail_next(self, count: int, status: int = 503) -> None:
        """The next `count` calls move the money (once per key) and then answer `status`: the answer is lost."""
        self._script.extend(PayThenFail(status) for _ in range(count))

    def answer_normally(self) -> None:
        """Forgets the answers still scripted: the provider is back to normal."""
        self._script.clear()

    def release_stalled(self) -> None:
        self._stopping.set()

    def payments_for(self, idempotency_key: str) -> list[Payment]:
        return [p for p in self.payments if p.idempotency_key == idempotency_key]

    async def _pay(self, request: Request) -> JSONResponse:
        kind = request.url.path.strip("/")
        key = request.headers.get("Idempotency-Key")
        self.calls.append(Call(kind, key, request.headers.get("Authorization")))
        if self.api_key is not None and request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(401, "unauthorized", "a valid API key is required")
        answer = self._script.popleft() if self._script else None
        if isinstance(answer, Fail):
            return _error(answer.status, "unavailable", "the provider is having a bad day")
        if isinstance(answer, Refuse):
            if key:
                self.refused.add(key)
            return _error(answer.status, "refused", answer.message)
        if not key:
            return _error(400, "missing_idempotency_key", "the Idempotency-Key header is required")
        body = await request.json()
        payment = self._payment_of(kind, key, body["order_id"], body["amount_cents"])
        if payment is None:
            return _error(422, "idempotency_key_reused", f"{key} was used for another payment")
        if isinstance(answer, PayThenFail):
            return _error(answer.status, "unavailable", "the provider took the payment and lost its answer")
        if isinstance(answer, PayThenStall):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), answer.seconds)
        return JSONResponse({"reference": payment.reference})

    async def _lookup(self, request: Request) -> JSONResponse:
        kind, key = request.path_params["kind"], request.path_params["key"]
        self.calls.append(Call(f"GET {kind}", key, request.headers.get("Authorization")))
        if self.api_key is not None and request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(401, "unauthorized", "a valid API key is required")
        answer = self._script.popleft() if self._script else None
        if isinstance(answer, Fail):
            return _error(answer.status, "unavailable", "the provider is having a bad day")
        paid = [p for p in self.payments_for(key) if p.kind == kind]
        if paid:
            return JSONResponse({"reference": paid[0].reference, "status": "succeeded"})
        if key in self.refused:
            return JSONResponse({"reference": None, "status": "failed"})
        return _error(404, "not_found", f"no payment under {key}")

    def _payment_of(self, kind: str, key: str, order_id: str, amount_cents: int) -> Payment | None:
        """The payment of this key, made now if new; None when the key was used for a different payment."""
        existing = self.payments_for(key)
        if not existing:
            reference = f"{PREFIXES[kind]}-{uuid.uuid4().hex[:16]}"
            self.payments.append(Payment(kind, key, order_id, amount_cents, reference))
            return self.payments[-1]
        same = (existing[0].kind, existing[0].order_id, existing[0].amount_cents) == (kind, order_id, amount_cents)
        return existing[0] if same else None

    def app(self) -> Starlette:
        lookups = [Route("/{kind:str}/{key:str}", self._lookup, methods=["GET"])]
        return Starlette(routes=[Route(f"/{kind}", self._pay, methods=["POST"]) for kind in PREFIXES] + lookups)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


class _InTestServer(uvicorn.Server):
    """uvicorn without its SIGINT/SIGTERM handlers: Ctrl-C stays pytest's."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def running_payment_server(api_key: str | None = None) -> AsyncIterator[PaymentServer]:
    """A `PaymentServer` listening on a free port of 127.0.0.1 until the block ends; stalled answers are released
    and every connection closed on the way out."""
    provider = PaymentServer(api_key)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(provider.app(), lifespan="off", log_config=None, log_level="warning", access_log=False)
    server = _InTestServer(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if serving.done():
                await serving  # raises why it did not start
                raise RuntimeError("the payment server stopped before it started")
            await asyncio.sleep(0.01)
        provider.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        yield provider
    finally:
        provider.release_stalled()
        server.should_exit = True
        await serving
        sock.close()
