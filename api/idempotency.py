"""`Idempotency-Key` on every POST (api.md "Idempotency"; reliability.md §1), as a route class.

The lookup key is (caller, method, path) + key. The first request claims the key by inserting an in-flight row
(unique on scope and key, so concurrent twins cannot both claim it), runs, and stores its status and body. Then:
- same key, same body (SHA-256 of the raw bytes) → the stored status and body again, nothing runs twice;
- same key, different body → 422 `idempotency_key_reused`;
- same key while the first is still running → 409 `idempotency_in_flight`;
- the first attempt raised or answered 5xx → its row is deleted, so a retry runs afresh (the key never wedges);
- a record older than `settings.idempotency_ttl` (or an in-flight row abandoned for `ABANDONED`) counts as new.
Unauthenticated requests are passed through untouched: they get their 401 and store nothing.
"""

import hashlib
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth import Caller, authenticate
from api.deps import get_settings, services
from api.errors import ApiError, Conflict, Unauthenticated, Unprocessable
from models.db import transaction
from models.idempotency import IdempotencyRecord, KeyState
from models.types import utcnow

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
ABANDONED = timedelta(minutes=2)  # an in-flight row this old belongs to a request that died without cleaning up

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
Sessions = async_sessionmaker[AsyncSession]


def _documented(
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            description="Optional. The same key and body within `idempotency_ttl` (24 h) get the first answer again.",
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
    sessions = services(request).sessions
    digest = hashlib.sha256(await request.body()).hexdigest()
    ttl = get_settings(request).idempotency_ttl
    claimed, record = await _claim(sessions, scope, key, digest, ttl)
    if not claimed:
        return _replay(record, digest)
    try:
        response = await handler(request)
    except Exception:
        await _release(sessions, record)
        raise
    if response.status_code >= 500:
        await _release(sessions, record)
    else:
        await _complete(sessions, record, response)
    return response


async def _claim(
    sessions: Sessions, scope: str, key: str, digest: str, ttl: timedelta
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
            if existing is not None and not _expired(existing, ttl):
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
    async with transaction(sessions) as session:
        stored = await session.get(IdempotencyRecord, record.id)
        if stored is not None:
            stored.state, stored.status_code = KeyState.DONE, response.status_code
            stored.response_body = bytes(response.body).decode()
            session.add(stored)


async def _release(sessions: Sessions, record: IdempotencyRecord) -> None:
    async with transaction(sessions) as session:
        await session.exec(delete(IdempotencyRecord).where(col(IdempotencyRecord.id) == record.id))


def _lookup(scope: str, key: str) -> Any:
    return select(IdempotencyRecord).where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)


def _expired(record: IdempotencyRecord, ttl: timedelta) -> bool:
    age = utcnow() - record.created_at
    return age > ttl or (record.state == KeyState.IN_FLIGHT and age > ABANDONED)


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
