"""The worker's `/metrics`, scraped over real HTTP: the SDK's own metrics, and the business counters its activities
count for exactly what they stored."""

import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import WorkflowEnvironment

from activities.adapters.payments import FakePaymentProvider
from api.app import create_app
from settings import Settings
from telemetry.runtime import temporal_runtime
from temporal_options import TemporalTarget
from tests.api.helpers import act, open_case, push_order
from tests.support.prometheus import Samples, samples
from tests.support.temporal import free_port
from tests.telemetry.conftest import serving
from worker import build_worker, connect


async def test_opening_and_approving_a_case_counts_one_opening_one_decision_and_the_refund(
    time_skipping_env: WorkflowEnvironment, target: str, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    address = f"127.0.0.1:{free_port()}"
    runtime = temporal_runtime(address)
    worker_client = await connect(TemporalTarget(target, time_skipping_env.client.namespace), runtime=runtime)
    worker = build_worker(worker_client, sessions, FakePaymentProvider(), settings.task_queue)
    app = create_app(settings, temporal_client=time_skipping_env.client)

    async with serving(app, worker, time_skipping_env.client) as http:
        order = await push_order(http, total_cents=5900)
        case = await open_case(http, order)
        approved = await act(http, case["case_id"], order.merchant, action="approve")
        assert approved.status_code == 200, approved.text
        async with httpx.AsyncClient() as scraper:
            scraped = await scraper.get(f"http://{address}/metrics")

    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    scraped_samples = samples(scraped.text)
    assert _business(scraped_samples) == {
        ("aftersales_cases_opened_total", frozenset({("kind", "refund_only")})): 1,
        ("aftersales_decisions_total", frozenset({("by", "merchant"), ("outcome", "refund"), ("rule", "none")})): 1,
        ("aftersales_money_moves_total", frozenset({("kind", "refund"), ("status", "succeeded")})): 1,
        ("aftersales_money_moved_cents_total", frozenset({("kind", "refund"), ("status", "succeeded")})): 5900,
    }
    sdk = {name for name, _ in scraped_samples if name.startswith("temporal_")}
    assert {"temporal_workflow_completed_total", "temporal_activity_execution_latency_seconds_count"} <= sdk


def _business(samples: Samples) -> Samples:
    return {key: value for key, value in samples.items() if key[0].startswith("aftersales_") and value}
