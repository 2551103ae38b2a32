"""/docs and /redoc work offline: their scripts and styles come from the API itself, never from a CDN."""

import re

import pytest
from httpx import AsyncClient


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_docs_pages_load_every_asset_from_the_api(client: AsyncClient, page: str) -> None:
    html = (await client.get(page)).text
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css|png))"', html)

    assert assets and all(asset.startswith("/") for asset in assets), assets
    assert "cdn" not in html.lower() and "fonts.googleapis" not in html
    for asset in assets:
        served = await client.get(asset)
        assert served.status_code == 200 and len(served.content) > 1000, asset


async def test_the_openapi_document_points_to_the_rest_reference_in_the_repository(client: AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    assert "docs/api.md" in document["info"]["description"]
    assert "/agent/queue" in document["paths"]
