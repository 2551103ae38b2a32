"""A request that dies mid-way never wedges its key (reliability.md IDEM-09): past `idempotency_lease` a retry takes
the key over and answers with the effect the dead request had, or does the work once."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.case_workflow import send_action, start_case
from models.case import Case
from models.idempotency import IdempotencyRecord
from models.ledger import LedgerEntry
from models.types import utcnow
from tests.api.helpers import case_body, push_order

Sessions = async_sessionmaker[AsyncSession]
LEASE = timedelta(seconds=30)  # the default setting


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"lease-{asyncio.get_running_loop().time()}"}


async def dies_after(
    patch: pytest.MonkeyPatch, target: str, real: Callable[..., Awaitable[None]], send: Awaitable[Response]
) -> None:
    """Runs `send` with `target` doing its real work and then hanging, and kills the request there, as a process
    killed mid-request would leave it: the key still in flight, the effect done or not."""
    done = asyncio.Event()

    async def work_then_hang(*args: Any, **kwargs: Any) -> None:
        await real(*args, **kwargs)
        done.set()
        await asyncio.Event().wait()

    patch.setattr(target, work_then_hang)
    request = asyncio.ensure_future(send)
    await done.wait()
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    patch.undo()


async def age_keys(db: Sessions, idempotency_key: str, by: timedelta) -> None:
    async with db() as session, session.begin():
        await session.exec(
            update(IdempotencyRecord)
            .where(col(IdempotencyRecord.key) == idempotency_key)
            .values(created_at=utcnow() - by)
        )


async def test_an_approval_whose_request_died_answers_its_retry_with_the_case_and_refunds_once(
    client: AsyncClient, db: Sessions
) -> None:
    order = await push_order(client)
    case_id = (await client.post("/cases", json=case_body(order), headers=order.buyer)).json()["case_id"]
    headers = {**order.merchant, **key()}
    path = f"/cases/{case_id}/actions"
    with pytest.MonkeyPatch.context() as patch:
        await dies_after(
            patch,
            "api.routes.cases.send_action",
            send_action,
            client.post(path, json={"action": "approve"}, headers=headers),
        )

    within_lease = await client.post(path, json={"action": "approve"}, headers=headers)
    assert within_lease.status_code == 409 and within_lease.json()["error"]["code"] == "idempotency_in_flight"
    await age_keys(db, headers["Idempotency-Key"], LEASE + timedelta(seconds=1))
    retry = await client.post(path, json={"action": "approve"}, headers=headers)

    assert retry.status_code == 200, retry.text
    assert (retry.json()["case_id"], retry.json()["status"]) == (case_id, "resolved")
    replay = await client.post(path, json={"action": "approve"}, headers=headers)
    assert replay.content == retry.content
    async with db() as session:
        rows = (await session.exec(select(LedgerEntry).where(LedgerEntry.case_id == case_id))).all()
    assert [(r.kind, r.amount_cents, r.status) for r in rows] == [("refund", 9900, "succeeded")]


async def test_an_opening_whose_request_died_answers_its_retry_with_the_same_case(
    client: AsyncClient, db: Sessions
) -> None:
    order = await push_order(client)
    headers = {**order.buyer, **key()}
    with pytest.MonkeyPatch.context() as patch:
        await dies_after(
            patch,
            "api.routes.cases.start_case",
            start_case,
            client.post("/cases", json=case_body(order), headers=headers),
        )
    await age_keys(db, headers["Idempotency-Key"], LEASE + timedelta(seconds=1))

    retry = await client.post("/cases", json=case_body(order), headers=headers)

    assert retry.status_code == 201, retry.text
    async with db() as session:
        cases = (await session.exec(select(Case).where(Case.order_id == order.order_id))).all()
    assert [(c.case_id, c.status) for c in cases] == [(retry.json()["case_id"], "awaiting_merchant")]


async def test_an_opening_that_died_before_its_workflow_started_is_started_by_the_retry(
    client: AsyncClient, db: Sessions
) -> None:
    order = await push_order(client)
    headers = {**order.buyer, **key()}

    async def nothing(*args: Any, **kwargs: Any) -> None:
        return None

    with pytest.MonkeyPatch.context() as patch:
        await dies_after(
            patch, "api.routes.cases.start_case", nothing, client.post("/cases", json=case_body(order), headers=headers)
        )
    await age_keys(db, headers["Idempotency-Key"], LEASE + timedelta(seconds=1))

    retry = await client.post("/cases", json=case_body(order), headers=headers)

    assert retry.status_code == 201, retry.text
    case = retry.json()
    timeline = await client.get(f"/cases/{case['case_id']}/timeline", headers=order.buyer)
    assert [e["type"] for e in timeline.json()["items"]] == ["case_opened"]
    assert case["status"] == "awaiting_merchant"
