"""A request holds at most one of its process's database connections at a time (or a full pool deadlocks), and
one that finds none free in time answers 503 `database_unavailable`, having stored nothing.

A keyed request stores its answer under the key (its own transaction) after the route has run. When the route's
session still held its connection then, a full pool deadlocked: every request waited for a second connection that
only another waiting request could give back, until the pool's timeout answered 500 after 30 s (found by
`bench.mixed`: 32 clients, 15 connections). With a pool of one connection, one keyed request shows it.
"""

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import pytest_asyncio
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.app import create_app
from api.errors import database_unavailable
from models.case import Case
from settings import Settings
from tests.api.helpers import AGENT, OrderRef, case_body, error, new_id, push_order

ANSWER_WITHIN = 15.0  # seconds; a deadlocked request waits for the pool's 30-second timeout


async def _end(app: FastAPI, *case_ids: str) -> None:
    for case_id in case_ids:
        await app.state.services.temporal.get_workflow_handle(f"case-{case_id}").terminate("the test is over")


@asynccontextmanager
async def _one_connection_app(
    app: FastAPI, settings: Settings, **more: Any
) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    """The app again, with a pool of exactly one connection; `app`'s worker serves its cases."""
    settings = settings.model_copy(update={"database_pool_size": 1, "database_max_overflow": 0, **more})
    application = create_app(settings, temporal_client=app.state.services.temporal)
    async with application.router.lifespan_context(application):
        transport = ASGITransport(app=application, raise_app_exceptions=False)
        async with AsyncClient(transport=transport, base_url="http://test") as http:
            yield application, http


@pytest_asyncio.fixture
async def one_connection_client(app: FastAPI, api_settings: Settings) -> AsyncIterator[AsyncClient]:
    async with _one_connection_app(app, api_settings) as (_, http):
        yield http


async def test_a_keyed_opening_answers_with_a_single_connection(
    app: FastAPI, one_connection_client: AsyncClient
) -> None:
    order = await push_order(one_connection_client)
    headers = {**order.buyer, "Idempotency-Key": new_id("key")}

    opened = await asyncio.wait_for(
        one_connection_client.post("/cases", json=case_body(order), headers=headers), ANSWER_WITHIN
    )

    assert opened.status_code == 201, opened.text
    await _end(app, opened.json()["case_id"])


async def test_keyed_requests_at_once_all_answer_with_a_single_connection(
    app: FastAPI, one_connection_client: AsyncClient
) -> None:
    orders = [await push_order(one_connection_client) for _ in range(4)]

    async def open_case(order: OrderRef) -> Response:
        headers = {**order.buyer, "Idempotency-Key": new_id("key")}
        return await one_connection_client.post("/cases", json=case_body(order), headers=headers)

    answers = await asyncio.wait_for(asyncio.gather(*(open_case(order) for order in orders)), ANSWER_WITHIN * 2)

    assert [answer.status_code for answer in answers] == [201] * 4
    await _end(app, *(answer.json()["case_id"] for answer in answers))


async def test_an_agent_reads_a_cases_facts_with_a_single_connection(
    app: FastAPI, one_connection_client: AsyncClient
) -> None:
    order = await push_order(one_connection_client)
    opened = await one_connection_client.post("/cases", json=case_body(order), headers=order.buyer)
    case_id = opened.json()["case_id"]

    facts = await asyncio.wait_for(one_connection_client.get(f"/cases/{case_id}/facts", headers=AGENT), ANSWER_WITHIN)

    assert (facts.status_code, facts.json()["case_id"]) == (200, case_id)
    await _end(app, case_id)


async def test_no_connection_free_in_time_is_503_and_stores_nothing(
    app: FastAPI, api_settings: Settings, client: AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    order = await push_order(client)
    async with _one_connection_app(app, api_settings, database_pool_timeout=0.5) as (application, http):
        async with application.state.services.engine.connect() as held:  # the pool's only connection, taken
            await held.exec_driver_sql("SELECT 1")
            refused = await http.post(
                "/cases", json=case_body(order), headers={**order.buyer, "Idempotency-Key": new_id("key")}
            )

        assert (refused.status_code, error(refused)["code"]) == (503, "database_unavailable")
        assert refused.headers["retry-after"] == "1"
        async with db() as session:
            assert (await session.exec(select(Case).where(Case.order_id == order.order_id))).first() is None
        retried = await http.post("/cases", json=case_body(order), headers=order.buyer)  # the connection is free again
        assert retried.status_code == 201, retried.text
    await _end(app, retried.json()["case_id"])


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (PoolTimeout("QueuePool limit of size 1 overflow 0 reached"), True),
        (OperationalError("INSERT …", {}, sqlite3.OperationalError("database is locked")), True),
        (OperationalError("SELECT 1", {}, ConnectionResetError("gone"), connection_invalidated=True), True),
        (OperationalError("SELECT …", {}, sqlite3.OperationalError("no such table: cases")), False),
        (ValueError("not the database's"), False),
    ],
)
def test_only_a_busy_or_lost_database_counts_as_unavailable(error: Exception, unavailable: bool) -> None:
    assert database_unavailable(error) is unavailable
