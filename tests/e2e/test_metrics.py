"""Both processes' `/metrics` as Prometheus scrapes them, the worker's on the address its settings give."""

import uuid

import httpx
import pytest

from tests.e2e.conftest import METRICS_TOKEN, Service
from tests.e2e.test_refund_story import delivered_order, token
from tests.support.prometheus import Samples, samples

pytestmark = pytest.mark.e2e
OPENED = ("aftersales_cases_opened_total", frozenset({("kind", "refund_only")}))
POSTED = ("aftersales_http_requests_total", frozenset({("method", "POST"), ("route", "/cases"), ("status", "201")}))


async def test_a_case_opened_is_counted_by_the_api_and_by_the_worker_that_stored_it(service: Service) -> None:
    worker_metrics = f"http://{service.processes.env['AFTERSALES_WORKER_METRICS_ADDRESS']}/metrics"
    async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as http:
        api_before, worker_before = await _scrape(http, "/metrics"), await _scrape(http, worker_metrics)
        buyer, shop = f"b-{uuid.uuid4().hex[:8]}", f"s-{uuid.uuid4().hex[:8]}"
        order_id = await delivered_order(http, buyer, shop)
        case = {"order_id": order_id, "kind": "refund_only", "reason": "quality_defect"}
        assert (await http.post("/cases", json=case, headers=token("buyer", buyer))).status_code == 201
        api_after, worker_after = await _scrape(http, "/metrics"), await _scrape(http, worker_metrics)

    assert api_after[POSTED] - api_before.get(POSTED, 0) == 1
    assert worker_after[OPENED] - worker_before.get(OPENED, 0) == 1
    assert any(name == "temporal_worker_task_slots_available" for name, _ in worker_after)


async def _scrape(http: httpx.AsyncClient, url: str) -> Samples:
    response = await http.get(url, headers={"Authorization": f"Bearer {METRICS_TOKEN}"})  # as Prometheus scrapes
    assert response.status_code == 200, response.text
    return samples(response.text)
