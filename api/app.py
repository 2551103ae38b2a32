"""The FastAPI application: `create_app()` (uvicorn `api.app:create_app --factory`).

One database engine, one Temporal client and one evidence store per process, built in the lifespan and kept on
`app.state`.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline
from opentelemetry.sdk.trace import TracerProvider
from temporalio.client import Client

from api.body_limit import BodyLimit
from api.errors import ERROR_RESPONSES, install_error_handlers
from api.evidence_store import EvidenceStore
from api.observability import observe
from api.routes import (
    agent,
    cases,
    decisions,
    evidence,
    evidence_links,
    facts,
    health,
    inventory,
    logistics,
    notifications,
    order_checks,
    orders,
    resolutions,
    shops,
    timeline,
)
from api.services import Services
from api.text import nul_free_parameters
from models.db import create_engine, session_factory
from settings import Settings, get_settings
from storage.selection import evidence_blobs
from telemetry import logs, tracing
from telemetry.runtime import temporal_runtime
from temporal_options import TemporalTarget
from worker import connect

DESCRIPTION = (
    "Refunds, returns, exchanges and order exceptions as durable cases. The REST reference, with every action, "
    "its fields and an example, and every reason and error code, is `docs/api.md` in the repository."
)


def create_app(
    settings: Settings | None = None,
    *,
    temporal_client: Client | None = None,
    tracer_provider: TracerProvider | None = None,
) -> FastAPI:
    """Without `settings` (uvicorn's factory), the environment's, and this process's logging set up from them."""
    if settings is None:
        settings = get_settings()
        logs.configure(settings, "api")
    tracer_provider = tracer_provider or tracing.tracer_provider(settings, "aftersales-api")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            settings.database_url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
            pool_timeout=settings.database_pool_timeout,
        )
        try:
            client = temporal_client or await connect(
                TemporalTarget.of(settings),
                runtime=temporal_runtime(),
                tracer_provider=tracer_provider,
                caller_keys=settings.caller_key_ring,
            )
            async with evidence_blobs(settings) as blobs:
                evidence = EvidenceStore(blobs, settings.evidence_max_bytes)
                app.state.services = Services(engine, session_factory(engine), client, evidence)
                yield
        finally:
            await engine.dispose()
            if tracer_provider is not None:
                tracer_provider.force_flush()

    app = FastAPIOffline(  # /docs and /redoc with their assets from the package: no CDN
        title="After-sales cases",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
        dependencies=[Depends(nul_free_parameters)],
    )
    app.state.settings = settings
    app.add_middleware(BodyLimit, file_max_bytes=settings.evidence_max_bytes)
    install_error_handlers(app)
    observe(app, tracer_provider, settings)
    routers = (
        order_checks,
        orders,
        logistics,
        inventory,
        cases,
        evidence,
        evidence_links,
        timeline,
        decisions,
        facts,
        resolutions,
        notifications,
        agent,
        shops,
        health,
    )
    for module in routers:
        app.include_router(module.router)
    return app
