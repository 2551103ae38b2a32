"""What the API tells operators (README "Observability"): request ids on its log lines, Prometheus metrics on
`GET /metrics` (behind `AFTERSALES_METRICS_TOKEN`), and OpenTelemetry spans for each request when tracing is on."""

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

from api.metrics import MeasuredRequests, RequestMetrics
from api.request_ids import RequestIds
from settings import Settings

UNTRACED = "/metrics,/health"  # scrapes and probes: a span each would drown the requests worth tracing


def observe(app: FastAPI, tracer_provider: TracerProvider | None, settings: Settings) -> None:
    metrics = RequestMetrics(CollectorRegistry())  # the app's own: several apps in one process do not mix
    app.add_middleware(RequestIds)
    app.add_middleware(MeasuredRequests, metrics=metrics)
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    app.include_router(metrics.router(token, open_without_token=settings.env == "development"))
    if tracer_provider is not None:
        FastAPIInstrumentor.instrument_app(app, tracer_provider=tracer_provider, excluded_urls=UNTRACED)
