"""Sending schemathesis' generated cases through the tests' httpx client (the app in-process on the session loop)."""

from typing import Any

from httpx import AsyncClient, Response
from schemathesis import Case

BASE_URL = "http://test"


async def send(client: AsyncClient, case: Case, headers: dict[str, str]) -> Response:
    """The generated request as httpx sends it, signed with `headers` instead of whatever was generated."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    sent = {k: v for k, v in dict(kwargs.pop("headers")).items() if k.lower() != "authorization"}
    kwargs.pop("cookies", None)
    return await client.request(headers=sent | headers, **as_httpx(kwargs))


def as_httpx(kwargs: dict[str, Any]) -> dict[str, Any]:
    """requests-style arguments as httpx takes them: multipart values become bytes or text."""
    if kwargs.get("data") is None:
        kwargs.pop("data", None)
    if "files" in kwargs:
        kwargs["files"] = [(name, (filename, _part(value))) for name, (filename, value) in kwargs["files"]]
    return kwargs


def _part(value: Any) -> bytes | str:
    return value if isinstance(value, bytes | str) else str(value)
