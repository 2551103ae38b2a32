"""OpenTelemetry tracing, off unless `AFTERSALES_TRACING` says where spans go.

A trace runs from the API's request (FastAPI's instrumentation) through the Temporal client's call into the workflow
and its activities: the SDK's `TracingInterceptor` carries the span context in Temporal headers, on the API's client
and on the worker's (a worker takes the interceptors of its client).
"""

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from temporalio.client import Interceptor
from temporalio.contrib.opentelemetry import TracingInterceptor

from settings import Settings


def tracer_provider(settings: Settings, service: str) -> TracerProvider | None:
    """Spans of `service` (`aftersales-api`, `aftersales-worker`) batched to the configured exporter; None when off."""
    if settings.tracing == "off":
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(_exporter(settings)))
    return provider


def _exporter(settings: Settings) -> SpanExporter:
    if settings.tracing == "console":  # a span a line, like the logs
        return ConsoleSpanExporter(formatter=lambda span: span.to_json(indent=None) + "\n")
    return OTLPSpanExporter(endpoint=str(settings.otel_endpoint) if settings.otel_endpoint else None)


def temporal_interceptors(provider: TracerProvider | None) -> list[Interceptor]:
    """The Temporal client's (and so its worker's) tracing interceptor, when tracing is on."""
    return [] if provider is None else [TracingInterceptor(provider.get_tracer("aftersales.temporal"))]
