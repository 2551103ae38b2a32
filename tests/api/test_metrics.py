"""The API's `GET /metrics`, scraped as Prometheus would: requests counted and timed by route template."""

import pytest
from httpx import ASGITransport, AsyncClient

from api.app import create_app
from settings import Settings
from tests.api.helpers import METRICS_TOKEN, SECRET, act, open_case, push_order
from tests.support.prometheus import Samples, samples


async def test_requests_are_counted_and_timed_by_method_route_template_and_status(client: AsyncClient) -> None:
    before = await _scrape(client)
    order = await push_order(client, total_cents=5900)
    case = await open_case(client, order)
    assert (await act(client, case["case_id"], order.merchant, action="approve")).status_code == 200
    assert (await client.get(f"/cases/{case['case_id']}", headers=order.buyer)).status_code == 200
    assert (await client.get("/no/such/path")).status_code == 404

    grown = _difference(await _scrape(client), before)

    opened = frozenset({("method", "POST"), ("route", "/cases"), ("status", "201")})
    assert grown[("aftersales_http_requests_total", opened)] == 1
    assert grown[("aftersales_http_request_duration_seconds_count", opened)] == 1
    assert grown[("aftersales_http_request_duration_seconds_sum", opened)] > 0
    assert grown[("aftersales_http_request_duration_seconds_bucket", opened | {("le", "+Inf")})] == 1
    routes = {dict(labels)["route"] for name, labels in grown if name == "aftersales_http_requests_total"}
    assert {"/cases/{case_id}/actions", "/cases/{case_id}", "unmatched"} <= routes
    assert not any(case["case_id"] in route for route in routes)  # never the raw path


async def test_the_process_reports_its_own_memory(client: AsyncClient) -> None:
    scraped = await client.get("/metrics", headers=SCRAPER)

    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    assert samples(scraped.text)[("process_resident_memory_bytes", frozenset())] > 0


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-the-token"}, {"Authorization": f"Basic {METRICS_TOKEN}"}],
    ids=["no token", "another token", "not bearer"],
)
async def test_metrics_without_the_scrapers_token_are_401(client: AsyncClient, headers: dict[str, str]) -> None:
    response = await client.get("/metrics", headers=headers)

    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"
    assert "aftersales_http_requests" not in response.text


@pytest.mark.parametrize(("env", "status"), [("production", 401), ("development", 200)])
async def test_without_a_metrics_token_set_only_development_serves_metrics(env: str, status: int) -> None:
    app = create_app(Settings(env=env, jwt_secret=SECRET))  # no lifespan needed: /metrics reads nothing else
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://api") as http:
        assert (await http.get("/metrics")).status_code == status


SCRAPER = {"Authorization": f"Bearer {METRICS_TOKEN}"}


async def _scrape(client: AsyncClient) -> Samples:
    response = await client.get("/metrics", headers=SCRAPER)
    assert response.status_code == 200
    return samples(response.text)


def _difference(after: Samples, before: Samples) -> Samples:
    return {key: value - before.get(key, 0) for key, value in after.items() if value != before.get(key, 0)}
