"""One request opening a case is one trace: the API's span, the Temporal client's call, the workflow's handling and
its activities, each in the same trace."""

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import WorkflowEnvironment

from activities.adapters.payments import FakePaymentProvider
from api.app import create_app
from settings import Settings
from telemetry.tracing import tracer_provider
from temporal_options import TemporalTarget
from tests.api.helpers import open_case, push_order
from tests.telemetry.conftest import serving
from worker import build_worker, connect


async def test_a_request_opening_a_case_is_one_trace_through_the_workflow_and_its_activities(
    time_skipping_env: WorkflowEnvironment, target: str, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    client = await connect(TemporalTarget(target, time_skipping_env.client.namespace), tracer_provider=provider)
    worker = build_worker(client, sessions, FakePaymentProvider(), settings.task_queue)
    app = create_app(settings, temporal_client=client, tracer_provider=provider)

    async with serving(app, worker, client) as http:
        order = await push_order(http)
        exporter.clear()
        await open_case(http, order)

    spans = exporter.get_finished_spans()
    [request] = [span for span in spans if span.name == "POST /cases" and span.parent is None]
    assert request.attributes and request.attributes["http.route"] == "/cases"
    assert {span.context.trace_id for span in spans} == {request.context.trace_id}
    assert {
        "StartUpdateWithStartWorkflow:CaseWorkflow",  # the API's client
        "RunWorkflow:CaseWorkflow",  # the worker
        "HandleUpdate:opened",
        "RunActivity:load_case_facts",
        "RunActivity:record_step",
    } <= {span.name for span in spans}


def test_tracing_is_off_unless_configured_and_names_the_service() -> None:
    assert tracer_provider(Settings(), "aftersales-api") is None
    for exporter in ("console", "otlp"):
        provider = tracer_provider(Settings(tracing=exporter), "aftersales-worker")
        assert provider is not None and provider.resource.attributes["service.name"] == "aftersales-worker"
        provider.shutdown()
