"""AUTHN-02: a credential never travels in a URL — no operation takes one as a parameter, a token put in the query
string opens nothing — and the service's own loggers never write one, whatever the request ends in.
(The real uvicorn's access log, and the worker's, are read in tests/e2e/test_no_token_in_logs.py.)"""

import logging
import re

import pytest
from httpx import AsyncClient

from telemetry.logs import ContextFields
from tests.api.evidence_helpers import png, upload
from tests.api.helpers import AGENT, SECRET, act, new_id, open_case, push_order

CREDENTIAL_NAME = re.compile(r"token|jwt|auth|bearer|api[-_]?key|secret|passw|session|credential", re.IGNORECASE)
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")


async def test_no_operation_takes_a_credential_in_its_url(client: AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    in_urls = [
        f"{method.upper()} {path}: {parameter['in']} {parameter['name']}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for parameter in operation.get("parameters", [])
        if parameter["in"] in ("query", "path") and CREDENTIAL_NAME.search(parameter["name"])
    ]
    assert in_urls == []
    schemes = document["components"]["securitySchemes"]
    assert [(s["type"], s.get("scheme")) for s in schemes.values()] == [("http", "bearer")]  # a header, no apiKey


@pytest.mark.parametrize("name", ["access_token", "token", "jwt", "api_key", "authorization"])
async def test_a_token_in_the_query_string_opens_nothing(client: AsyncClient, name: str) -> None:
    order = await push_order(client)
    token = order.buyer["Authorization"].removeprefix("Bearer ")

    listed = await client.get("/cases", params={name: token})
    read = await client.get(f"/orders/{order.order_id}", params={name: token})

    assert (listed.status_code, read.status_code) == (401, 401)


async def test_the_service_logs_no_token_whatever_a_request_ends_in(
    client: AsyncClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    order = await push_order(client)
    case_id = (await open_case(client, order))["case_id"]
    await act(client, case_id, order.merchant, action="reject", reason="吊牌已拆")
    await act(client, case_id, order.merchant, action="approve")  # 409: no longer the merchant's move
    await client.get(f"/cases/{new_id('case')}", headers=order.buyer)  # 404
    await client.get("/cases", headers={"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.forged"})  # 401
    await client.post("/cases", json={"order_id": 1}, headers=order.buyer)  # 422

    async def crash(*_args: object) -> None:
        raise RuntimeError("temporal exploded")

    monkeypatch.setattr("api.routes.cases.send_action", crash)
    crashed = await act(client, case_id, order.buyer, action="message", text="你好")  # 500, logged with its trace

    assert crashed.status_code == 500
    assert any(r.name == "api" and r.levelno == logging.ERROR for r in caplog.records)  # the log was captured
    written = caplog.text  # every record formatted, tracebacks included
    assert "temporal exploded" in written
    assert JWT.search(written) is None and "Bearer" not in written and SECRET not in written


async def test_the_one_link_in_a_url_is_a_signed_evidence_link_that_authenticates_nobody(client: AsyncClient) -> None:
    """`GET /evidence-links/{link}` is a capability URL, not a credential: it opens one file for minutes
    (api/evidence_links.py). A user's token in its place opens nothing, the link as a bearer token opens nothing
    else, and the access log never writes it."""
    order = await push_order(client)
    case_id = (await open_case(client, order))["case_id"]
    photo = await upload(client, case_id, order.buyer, png())
    evidence_id = photo.json()["evidence_id"]
    asked = await client.post(f"/agent/cases/{case_id}/evidence/{evidence_id}/link", headers=AGENT)
    link = asked.json()["url"].split("/evidence-links/")[1]

    agent_token = AGENT["Authorization"].removeprefix("Bearer ")
    assert (await client.get(f"/evidence-links/{agent_token}")).status_code == 404
    assert (await client.get(f"/cases/{case_id}", headers={"Authorization": f"Bearer {link}"})).status_code == 401
    assert (await client.get(f"/evidence-links/{link}")).status_code == 200

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', None, None)
    record.args = ("127.0.0.1:5000", "GET", f"/evidence-links/{link}", "1.1", 200)
    ContextFields("api").filter(record)
    assert link not in record.getMessage() and "/evidence-links/…" in record.getMessage()
