"""One error base class carrying status and code, and the handlers that give every 4xx/5xx the same shape:

{"error": {"code": "<snake_case>", "message": "<human text>", ...extra fields}}
"""

import logging
import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

log = logging.getLogger("api")

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    503: "unavailable",
}


class ApiError(Exception):
    """An answer other than success. Subclasses fix the HTTP status and code; `extra` adds fields next to them."""

    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = http_status or self.status
        self.code = code or self.code
        self.headers = headers
        self.extra = extra


class Unauthenticated(ApiError):
    status, code = 401, "unauthenticated"

    def __init__(self, message: str = "a valid bearer token is required") -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class Unprocessable(ApiError):
    status, code = 422, "validation_error"


class Unavailable(ApiError):
    status, code = 503, "unavailable"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class InvalidState(Conflict):
    code = "invalid_state"

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message, status=status)


class CodedHTTPException(StarletteHTTPException):
    """An HTTPException with its own error code, for code that runs where only HTTPExceptions pass through
    unchanged (FastAPI turns anything else raised while it reads a body into a 400)."""

    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(status_code, message)
        self.code = code


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str
    message: str


class ErrorBody(BaseModel):
    """The body of every 4xx/5xx answer (for the OpenAPI document)."""

    error: ErrorDetail


def _described(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _described("Malformed request (bad JSON, bad Idempotency-Key)"),
    401: _described("No, bad or expired token"),
    403: _described("The caller's role may not do this"),
    404: _described("Not found, or not visible to the caller"),
    409: _described("Conflicts with the current state"),
    422: _described("Invalid input"),
}

_MORE_RESPONSES: dict[int, str] = {
    413: "The body or file is larger than allowed (`payload_too_large`, `file_too_large`)",
    410: "The evidence link has expired (`link_expired`); ask for a new one",
    429: "A buyer's cap is reached (`too_many_cases` on one order, `too_many_withdrawals` in 24 hours)",
    415: "The file's bytes are not an allowed type (`unsupported_media_type`)",
    500: "A stored file no longer matches its SHA-256 (`evidence_corrupted`) or is gone (`evidence_missing`)",
    503: "Temporal, the database or the evidence storage is unavailable or busy (`temporal_unavailable`, "
    "`database_unavailable`, `storage_unavailable`); retry",
}


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route that can also answer these statuses (beyond the app-wide ERROR_RESPONSES)."""
    return {status: _described(_MORE_RESPONSES[status]) for status in statuses}


def error_response(
    http_status: int, code: str, message: str, headers: Mapping[str, str] | None = None, /, **extra: Any
) -> JSONResponse:
    """The one error body. Positional parameters, so `extra` may carry a field named `status` (the case's)."""
    body = {"error": {"code": code, "message": message, **extra}}
    return JSONResponse(body, status_code=http_status, headers=dict(headers) if headers else None)


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.headers, **exc.extra)


ENUM_REPR = re.compile(r"<[A-Za-z_]+\.[A-Za-z_0-9]+: ('[^']*'|\d+)>")


def readable(msg: str) -> str:
    """pydantic's message without Python's reprs: `<Outcome.REFUND: 'refund'>` reads `'refund'`."""
    return ENUM_REPR.sub(r"\1", msg)


def _first_problem(details: list[dict[str, Any]]) -> str:
    """One sentence for a person: the first field that is wrong, and how (the rest are in `details`)."""
    first = details[0]
    where = ".".join(str(part) for part in first["loc"] if part not in ("body", "query", "path", "header"))
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return f"The request is not valid: {where + ': ' if where else ''}{first['msg']}{more}"


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"loc": list(e.get("loc", ())), "msg": readable(str(e.get("msg", ""))), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    if any(d["type"] == "json_invalid" for d in details):
        return error_response(400, "malformed_json", "the body is not valid JSON", details=details)
    message = _first_problem(details) if details else "The request is not valid"
    return error_response(422, "validation_error", message, details=details)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = exc.code if isinstance(exc, CodedHTTPException) else HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    headers = {**(exc.headers or {}), "Allow": _allowed(request)} if exc.status_code == 405 else exc.headers
    return error_response(exc.status_code, code, message, headers)


def _allowed(request: Request) -> str:
    """Every method the path answers (Starlette names only the first route's, and each method is a route here)."""
    return ", ".join(
        method
        for method in METHODS
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in request.app.routes)
    )


def database_unavailable(exc: Exception) -> bool:
    """No connection came free within the pool's timeout, a connection was lost, or SQLite stayed locked past its
    busy timeout: nothing was committed and the same request may succeed in a moment. A fault of the schema or of a
    query (say, a missing table) is none of these."""
    if isinstance(exc, PoolTimeout):
        return True
    if isinstance(exc, OperationalError):
        return exc.connection_invalidated or "database is locked" in str(exc.orig)
    return False


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    if not database_unavailable(exc):
        return await _unexpected(request, exc)
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return error_response(
        503, "database_unavailable", "the database is busy or unreachable; try again", {"Retry-After": "1"}
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "something went wrong on our side")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(PoolTimeout, _database_unavailable)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
