"""Liveness of the API's two dependencies: the database and Temporal."""

import asyncio
import logging
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from api.deps import services
from api.errors import ErrorBody, error_response

router = APIRouter(tags=["health"])
log = logging.getLogger("api")
TIMEOUT_SECONDS = 3.0


class Health(BaseModel):
    status: str
    database: str
    temporal: str


@router.get(
    "/health", response_model=Health, responses={503: {"model": ErrorBody, "description": "A dependency is down"}}
)
async def health(request: Request) -> Health | JSONResponse:
    """200 when a `SELECT 1` and a Temporal call both answer; 503 naming the one that failed otherwise."""
    database, temporal = await asyncio.gather(_database(request), _temporal(request))
    if database == temporal == "ok":
        return Health(status="ok", database=database, temporal=temporal)
    failed = [name for name, state in (("database", database), ("temporal", temporal)) if state != "ok"]
    message = f"not answering: {', '.join(failed)}"
    return error_response(503, "unavailable", message, status="degraded", database=database, temporal=temporal)


async def _database(request: Request) -> str:
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS), services(request).engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:
        log.warning("health: database: %s", error)
        return "error"
    return "ok"


async def _temporal(request: Request) -> str:
    try:
        service = services(request).temporal.workflow_service
        await service.get_system_info(GetSystemInfoRequest(), timeout=timedelta(seconds=TIMEOUT_SECONDS))
    except Exception as error:
        log.warning("health: temporal: %s", error)
        return "error"
    return "ok"
