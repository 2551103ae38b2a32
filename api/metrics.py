"""The API's Prometheus metrics on `GET /metrics`: every request counted and timed by method, route template (never
the raw path, so one series per endpoint however many cases there are) and status, and the process's own (memory,
CPU, garbage collection). Each API process serves its own; Prometheus scrapes each and adds them up."""

import hmac
import time

from fastapi import APIRouter, Header, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import bearer_token
from api.errors import Unauthenticated

LABELS = ("method", "route", "status")
UNMATCHED = "unmatched"  # no route: a 404 for a path that does not exist, whatever it was


class RequestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests = Counter(
            "aftersales_http_requests", "HTTP requests answered, by method, route and status", LABELS, registry=registry
        )
        self.duration = Histogram(
            "aftersales_http_request_duration_seconds",
            "Time to answer HTTP requests, by method, route and status",
            LABELS,
            registry=registry,
        )
        for collector in (ProcessCollector, PlatformCollector, GCCollector):
            collector(registry=registry)

    def router(self, token: str | None, *, open_without_token: bool) -> APIRouter:
        """`token`: the scraper's Bearer token (`AFTERSALES_METRICS_TOKEN`), compared in constant time. Without one,
        `/metrics` answers anyone only when `open_without_token` (development), and nobody otherwise."""
        router = APIRouter()

        @router.get("/metrics", include_in_schema=False)
        def metrics(authorization: str | None = Header(default=None)) -> Response:
            if token is None and not open_without_token:
                raise Unauthenticated("metrics are served only with AFTERSALES_METRICS_TOKEN set")
            if token is not None:
                given = bearer_token(authorization)
                if not hmac.compare_digest(given.encode(), token.encode()):
                    raise Unauthenticated("not the metrics token")
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

        return router


class MeasuredRequests:
    """Counts and times each request as its last byte goes out, before the client can ask anything else (an error
    escaping the app counts as a 500)."""

    def __init__(self, app: ASGIApp, *, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status, measured = time.perf_counter(), 500, False

        def measure() -> None:
            nonlocal measured
            if not measured:
                measured = True
                labels = (scope["method"], getattr(scope.get("route"), "path", UNMATCHED), str(status))
                self.metrics.requests.labels(*labels).inc()
                self.metrics.duration.labels(*labels).observe(time.perf_counter() - started)

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                measure()
            await send(message)

        try:
            await self.app(scope, receive, answer)
        finally:
            measure()
