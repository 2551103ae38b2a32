"""Every 4xx/5xx has the same body, `{"error": {"code", "message", ...}}`, and the OpenAPI document is served."""

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from api.app import create_app
from settings import Settings
from tests.api.helpers import AGENT, SYSTEM, error


async def test_unknown_routes_and_methods(client: AsyncClient) -> None:
    missing = await client.get("/nowhere", headers=AGENT)
    wrong_method = await client.delete("/cases", headers=AGENT)

    assert (missing.status_code, error(missing)["code"]) == (404, "not_found")
    assert (wrong_method.status_code, error(wrong_method)["code"]) == (405, "method_not_allowed")


async def test_malformed_json_is_400(client: AsyncClient) -> None:
    response = await client.post(
        "/orders", content=b'{"order_id": ', headers={**SYSTEM, "Content-Type": "application/json"}
    )
    assert (response.status_code, error(response)["code"]) == (400, "malformed_json")


async def test_an_unexpected_failure_is_500_without_details(api_settings: Settings) -> None:
    app: FastAPI = create_app(api_settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    async with AsyncClient(transport=ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t") as http:
        response = await http.get("/boom")

    assert response.status_code == 500
    assert error(response) == {"code": "internal_error", "message": "something went wrong on our side"}


async def test_the_openapi_document_declares_the_error_shape(client: AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    docs = await client.get("/docs")

    assert docs.status_code == 200
    assert {"/cases", "/cases/{case_id}/actions", "/orders", "/logistics/events", "/health"} <= set(document["paths"])
    open_case = document["paths"]["/cases"]["post"]["responses"]
    assert {"201", "400", "401", "403", "404", "409", "422"} <= set(open_case)
    assert open_case["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert "token" not in {
        p["name"] for op in document["paths"].values() for m in op.values() for p in m.get("parameters", [])
    }


async def test_the_openapi_document_declares_evidence_facts_and_resolutions_with_their_errors(
    client: AsyncClient,
) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]

    upload = paths["/cases/{case_id}/evidence"]["post"]
    download = paths["/cases/{case_id}/evidence/{evidence_id}"]["get"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"201", "403", "404", "409", "413", "415", "422", "503"} <= set(upload["responses"])
    assert upload["responses"]["415"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert {"200", "404", "500"} <= set(download["responses"])
    assert "get" in paths["/cases/{case_id}/evidence"]
    assert {"200", "403", "404"} <= set(paths["/cases/{case_id}/facts"]["get"]["responses"])
    assert {"200", "403", "404"} <= set(paths["/cases/{case_id}/resolutions"]["get"]["responses"])
    assert {"413", "503"} <= set(paths["/cases"]["post"]["responses"])
    assert "413" in paths["/orders"]["post"]["responses"]
