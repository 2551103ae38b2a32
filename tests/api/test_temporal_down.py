"""With Temporal unreachable, commands answer 503 `temporal_unavailable` and leave nothing half-done behind."""

from collections.abc import AsyncIterator

import pytest_asyncio
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlmodel import select
from temporalio.client import Client

from api.app import create_app
from models.case import Case
from settings import Settings
from tests.api.evidence_helpers import Sessions, png, rows, timeline, upload
from tests.api.helpers import case_body, error, open_case, push_order
from workflows.payloads import data_converter

DEAD = "127.0.0.1:1"  # nothing listens on port 1


@pytest_asyncio.fixture
async def down(api_settings: Settings) -> AsyncIterator[AsyncClient]:
    """The same app and database, with a Temporal client that has never reached a server (connected lazily)."""
    temporal = await Client.connect(DEAD, lazy=True, data_converter=data_converter)
    app: FastAPI = create_app(api_settings, temporal_client=temporal)
    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app, raise_app_exceptions=False)
        async with AsyncClient(transport=transport, base_url="http://down") as http:
            yield http


async def test_opening_a_case_is_503_and_leaves_no_case_row(down: AsyncClient, db: Sessions) -> None:
    order = await push_order(down)  # orders need only the database

    response = await down.post("/cases", json=case_body(order), headers=order.buyer)

    assert (response.status_code, error(response)["code"]) == (503, "temporal_unavailable")
    async with db() as session:
        assert (await session.exec(select(Case).where(Case.order_id == order.order_id))).all() == []


async def test_an_action_and_an_upload_are_503_and_change_nothing(
    client: AsyncClient, down: AsyncClient, db: Sessions
) -> None:
    order = await push_order(client)
    case_id = (await open_case(client, order))["case_id"]
    events = await timeline(client, case_id, order.buyer)

    action = await down.post(f"/cases/{case_id}/actions", json={"action": "approve"}, headers=order.merchant)
    uploaded = await upload(down, case_id, order.buyer, png())

    for response in (action, uploaded):
        assert (response.status_code, error(response)["code"]) == (503, "temporal_unavailable")
    assert await rows(db, case_id) == []
    assert await timeline(client, case_id, order.buyer) == events
