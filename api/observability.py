"""What the API tells operators (README "Observability"): request ids on its log lines, Prometheus metrics on
`GET /metrics`, and OpenTelemetry spans for each request when tracing is on."""

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

from api.metrics import MeasuredRequests, RequestMetrics
from api.request_ids import RequestIds

UNTRACED = "/metrics,/health"  # scrapes and probes: a span each would drown the requests worth tracing


def observe(app: FastAPI, tracer_provider: TracerProvider | None) -> None:
    metrics = RequestMetrics(CollectorRegistry())  # the app's own: several apps in one process do not mix
    app.add_middleware(RequestIds)
    app.add_middleware(MeasuredRequests, metrics=metrics)
    app.include_router(metrics.router())
    if tracer_provider is not None:
        FastAPIInstrumentor.instrument_app(app, tracer_provider=tracer_provider, excluded_urls=UNTRACED)
