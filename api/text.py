"""Text the API accepts: anything printable a person or a feed may send, but never a NUL character.

PostgreSQL cannot store NUL in text, and no product text needs it; refusing it at the edge (422) keeps bad
input from ever reaching a database or a workflow.
"""

from typing import Any

from fastapi import Request

from api.errors import Unprocessable

NUL = "\x00"


def has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(item) for item in value)
    return False


def refuse_nul(value: Any) -> Any:
    """A `mode="before"` validator for request bodies."""
    if has_nul(value):
        raise ValueError("text may not contain NUL characters")
    return value


async def nul_free_parameters(request: Request) -> None:
    """An app-wide dependency: path and query parameters without NUL characters."""
    values = [*request.path_params.values(), *request.query_params.keys(), *request.query_params.values()]
    if has_nul(values):
        raise Unprocessable("parameters may not contain NUL characters", code="invalid_characters")


def shown(value: str, limit: int = 64) -> str:
    """A caller's value as an error message may quote it: never more than `limit` characters of it."""
    return value if len(value) <= limit else f"{value[:limit]}…"
