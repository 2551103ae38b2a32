"""`Idempotency-Key` on every POST (api.md "Idempotency"; reliability.md §1), as a route class.

The lookup key is (caller, method, path) + key. The first request claims the key by inserting an in-flight row
(unique on scope and key, so concurrent twins cannot both claim it), runs, and stores its status and body. Then:
- same key, same body (SHA-256 of the raw bytes) → the stored status and body again, nothing runs twice;
- same key, different body → 422 `idempotency_key_reused`;
- same key while the first is still running → 409 `idempotency_in_flight`;
- the first attempt raised or answered 5xx → its row is deleted, so a retry runs afresh (the key never wedges);
- a record older than `settings.idempotency_ttl` counts as new;
- an in-flight row older than `settings.idempotency_lease` belongs to a request that died mid-way (its process
  killed): a retry takes it over. Routes name what they do by the key's fingerprint (`key_use`): the case opened
  under it, the workflow update sent under it; so the retry finds the effect the dead request had, if any, and
  answers with it instead of doing it again.
Unauthenticated requests are passed through untouched: they get their 401 and store nothing.

The body is read once, hashed and spooled (in memory up to `SPOOL_IN_MEMORY`, on disk beyond; `api.body_limit`
caps it), then handed to the route again, so a keyed evidence upload is never held in memory whole. A multipart
body is hashed without its boundary: clients pick a new random boundary for every request, and a retry of the
same upload must count as the same body.
"""

import email.message
import hashlib
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from tempfile import SpooledTemporaryFile
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.concurrency import run_in_threadpool
from starlette.types import Message

from api.auth import Caller, authenticate
from api.deps import close_route_session, get_settings, services
from api.errors import ApiError, Conflict, Unauthenticated, Unprocessable
from models.db import transaction
from models.idempotency import IdempotencyRecord, KeyState
from models.types import utcnow

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
SPOOL_IN_MEMORY = 1024 * 1024
CHUNK = 64 * 1024

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
Sessions = async_sessionmaker[AsyncSession]


def _documented(
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            description="Optional. The same key and body within `idempotency_ttl` (24 h) get the first answer again.",
            max_length=MAX_KEY_LENGTH,
            pattern=r"^[ -~]*[!-~][ -~]*$",  # printable ASCII, not only spaces (`_valid`)
        ),
    ] = None,
) -> None:
    """Declares the header in the OpenAPI document; `IdempotentRoute` does the work before any dependency runs."""


IDEMPOTENT = [Depends(_documented)]  # `dependencies=` of every POST


class IdempotentRoute(APIRoute):
    """Routes of this class honour `Idempotency-Key` on POST."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            key = request.headers.get(HEADER) if request.method == "POST" else None
            caller = _caller_or_none(request) if key is not None else None
            if key is None or caller is None:
                return await handler(request)
            return await _once(request, handler, _valid(key), _scope(caller, request))

        return route


async def _once(request: Request, handler: Handler, key: str, scope: str) -> Response:
    async with _read_once(request) as (digest, replayable):
        return await _run_once(replayable, handler, key, scope, digest)


@dataclass(frozen=True)
class KeyUse:
    """The key a route runs under, as a fingerprint unique to (caller, method, path, key, body): what the route does
    under it carries the fingerprint, so a retry that took over a dead attempt's key finds that attempt's effect."""

    fingerprint: str


def key_use(request: Request) -> KeyUse | None:
    use = getattr(request.state, "idempotency", None)
    return use if isinstance(use, KeyUse) else None


async def _run_once(request: Request, handler: Handler, key: str, scope: str, digest: str) -> Response:
    sessions = services(request).sessions
    settings = get_settings(request)
    claimed, record = await _claim(sessions, scope, key, digest, settings.idempotency_ttl, settings.idempotency_lease)
    if not claimed:
        return _replay(record, digest)
    request.state.idempotency = KeyUse(hashlib.sha256(f"{scope}\n{key}\n{digest}".encode()).hexdigest())
    try:
        response = await handler(request)
    except Exception:
        await close_route_session(request)
        await _release(sessions, record)
        raise
    await close_route_session(request)
    if response.status_code >= 500:
        await _release(sessions, record)
    else:
        await _complete(sessions, record, response)
    return response


@asynccontextmanager
async def _read_once(request: Request) -> AsyncIterator[tuple[str, Request]]:
    """The body's digest, and a request that reads the same body again from the spool."""
    digest = _BodyDigest(request.headers.get("content-type"))
    with SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        async for chunk in request.stream():
            digest.update(chunk)
            if spool.tell() + len(chunk) > SPOOL_IN_MEMORY:
                await run_in_threadpool(spool.write, chunk)
            else:
                spool.write(chunk)
        spool.seek(0)
        yield digest.hexdigest(), Request(request.scope, _replaying(spool, request))


def _replaying(spool: SpooledTemporaryFile[bytes], request: Request) -> Callable[[], Coroutine[Any, Any, Message]]:
    done = False

    async def receive() -> Message:
        nonlocal done
        if done:  # the body is over: from here on, what the server says (a disconnect)
            return await request.receive()
        chunk = await run_in_threadpool(spool.read, CHUNK)
        done = len(chunk) < CHUNK
        return {"type": "http.request", "body": chunk, "more_body": not done}

    return receive


class _BodyDigest:
    """SHA-256 of a body; of a multipart body with its boundary taken out (each occurrence becomes one NUL byte,
    which no boundary can contain), computed across chunk borders."""

    def __init__(self, content_type: str | None) -> None:
        self._sha = hashlib.sha256()
        self._boundary = _boundary(content_type)
        self._pending = b""

    def update(self, chunk: bytes) -> None:
        if not self._boundary:
            self._sha.update(chunk)
            return
        data = (self._pending + chunk).replace(self._boundary, b"\0")
        keep = len(self._boundary) - 1  # a boundary starting this close to the end may still be incomplete
        cut = max(len(data) - keep, 0)
        self._sha.update(data[:cut])
        self._pending = data[cut:]

    def hexdigest(self) -> str:
        self._sha.update(self._pending)
        self._pending = b""
        return self._sha.hexdigest()


def _boundary(content_type: str | None) -> bytes | None:
    if not content_type:
        return None
    message = email.message.Message()
    message["content-type"] = content_type
    boundary = message.get_param("boundary") if message.get_content_type() == "multipart/form-data" else None
    return boundary.encode("latin-1") if isinstance(boundary, str) and boundary else None


async def _claim(
    sessions: Sessions, scope: str, key: str, digest: str, ttl: timedelta, lease: timedelta
) -> tuple[bool, IdempotencyRecord]:
    """(True, our new in-flight row) or (False, the live record that answers instead)."""
    for _attempt in range(3):
        try:
            async with transaction(sessions) as session:
                record = IdempotencyRecord(scope=scope, key=key, request_hash=digest)
                session.add(record)
            return True, record
        except IntegrityError:
            pass
        async with transaction(sessions) as session:
            existing = (await session.exec(_lookup(scope, key))).first()
            if existing is not None and not _expired(existing, ttl, lease):
                return False, existing
            if existing is not None:  # expired: by id, so a fresh row of a concurrent twin survives
                await session.exec(delete(IdempotencyRecord).where(col(IdempotencyRecord.id) == existing.id))
    raise Conflict("the Idempotency-Key is being used concurrently; retry", code="idempotency_in_flight")


def _replay(record: IdempotencyRecord, digest: str) -> Response:
    if record.request_hash != digest:
        raise Unprocessable("this Idempotency-Key was used with a different body", code="idempotency_key_reused")
    if record.state != KeyState.DONE or record.status_code is None:
        raise Conflict("a request with this Idempotency-Key is still in flight", code="idempotency_in_flight")
    headers = {"Idempotent-Replayed": "true"}
    return Response(record.response_body or "", record.status_code, headers, media_type="application/json")


async def _complete(sessions: Sessions, record: IdempotencyRecord, response: Response) -> None:
    """Stores the answer on our row, by id: if an expiry took the key over meanwhile, nothing is overwritten."""
    done = {"state": KeyState.DONE, "status_code": response.status_code, "response_body": bytes(response.body).decode()}
    async with transaction(sessions) as session:
        await session.exec(update(IdempotencyRecord).where(col(IdempotencyRecord.id) == record.id).values(**done))


async def _release(sessions: Sessions, record: IdempotencyRecord) -> None:
    async with transaction(sessions) as session:
        await session.exec(delete(IdempotencyRecord).where(col(IdempotencyRecord.id) == record.id))


def _lookup(scope: str, key: str) -> Any:
    return select(IdempotencyRecord).where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)


def _expired(record: IdempotencyRecord, ttl: timedelta, lease: timedelta) -> bool:
    age = utcnow() - record.created_at
    return age > ttl or (record.state == KeyState.IN_FLIGHT and age > lease)


def _valid(key: str) -> str:
    if not key.strip() or len(key) > MAX_KEY_LENGTH or not all(" " <= ch <= "~" for ch in key):
        raise ApiError(
            f"Idempotency-Key must be 1..{MAX_KEY_LENGTH} printable ASCII characters",
            code="invalid_idempotency_key",
        )
    return key


def _scope(caller: Caller, request: Request) -> str:
    scope = f"{caller.role}:{caller.id}:{request.method}:{request.url.path}"
    return scope if len(scope) <= 200 else hashlib.sha256(scope.encode()).hexdigest()


def _caller_or_none(request: Request) -> Caller | None:
    try:
        return authenticate(request.headers.get("authorization"), get_settings(request))
    except Unauthenticated:
        return None
