"""Every answer carries its request's id: the caller's when it is a plain token, a new one otherwise."""

from httpx import AsyncClient


async def test_a_plain_request_id_is_kept_and_anything_else_is_replaced(client: AsyncClient) -> None:
    kept = await client.get("/health", headers={"X-Request-ID": "req-42.a"})
    replaced = await client.get("/health", headers={"X-Request-ID": "<script>"})
    new = await client.get("/health")

    assert kept.headers["x-request-id"] == "req-42.a"
    assert len(replaced.headers["x-request-id"]) == 32 and replaced.headers["x-request-id"].isalnum()
    assert new.headers["x-request-id"] != replaced.headers["x-request-id"]
