"""What the schemathesis runs found: the API answers as its OpenAPI document says (FUZZ-02, FUZZ-03)."""

import pytest
from httpx import AsyncClient

from tests.api.helpers import AGENT, SYSTEM, error, new_id, order_body, push_order


@pytest.mark.parametrize("path", ["/cases", "/cases/some-case/evidence"])
async def test_a_405_names_every_method_its_path_answers(client: AsyncClient, path: str) -> None:
    response = await client.request("PATCH", path, headers=AGENT)

    assert (response.status_code, error(response)["code"]) == (405, "method_not_allowed")
    assert {"GET", "POST"} <= set(response.headers["allow"].split(", "))


@pytest.mark.parametrize("since", ["0.5", "1700000000", "yesterday"])
async def test_a_time_in_a_query_is_rfc_3339_text_never_unix_seconds(client: AsyncClient, since: str) -> None:
    order = await push_order(client)
    response = await client.get("/notifications", params={"since": since}, headers=order.buyer)

    assert (response.status_code, error(response)["code"]) == (422, "validation_error")


@pytest.mark.parametrize("paid_at", [0.5, 1700000000, "1700000000"])
async def test_a_time_in_a_body_is_rfc_3339_text_never_unix_seconds(client: AsyncClient, paid_at: object) -> None:
    body = order_body(new_id("order"), new_id("buyer"), new_id("shop")) | {"paid_at": paid_at}
    response = await client.post("/orders", json=body, headers=SYSTEM)

    assert (response.status_code, error(response)["code"]) == (422, "validation_error")


async def test_the_idempotency_key_is_documented_as_it_is_checked(client: AsyncClient) -> None:
    parameter = next(
        p
        for p in (await client.get("/openapi.json")).json()["paths"]["/cases"]["post"]["parameters"]
        if p["name"] == "Idempotency-Key"
    )
    schema = next(s for s in parameter["schema"]["anyOf"] if s.get("type") == "string")

    assert (schema["maxLength"], schema["pattern"]) == (200, "^[ -~]*[!-~][ -~]*$")
