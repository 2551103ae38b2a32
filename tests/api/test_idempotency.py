"""Idempotency-Key (api.md; reliability.md IDEM-01..08): replay, reuse, in flight, failures, scope, expiry."""

import asyncio
from datetime import timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.case_workflow import start_case
from models.case import Case
from models.idempotency import IdempotencyRecord
from models.ledger import LedgerEntry
from models.types import utcnow
from tests.api.helpers import SYSTEM, OrderRef, case_body, error, new_id, order_body, push_order

Sessions = async_sessionmaker[AsyncSession]


def _key() -> dict[str, str]:
    return {"Idempotency-Key": new_id("key")}


async def _cases_of(db: Sessions, order: OrderRef) -> list[str]:
    async with db() as session:
        return list((await session.exec(select(Case.case_id).where(Case.order_id == order.order_id))).all())


async def _records(db: Sessions, key: str) -> list[IdempotencyRecord]:
    async with db() as session:
        return list((await session.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == key))).all())


async def test_the_same_key_and_body_replays_the_first_answer_and_opens_one_case(
    client: AsyncClient, db: Sessions
) -> None:
    order, key = await push_order(client), _key()
    headers = {**order.buyer, **key}

    first = await client.post("/cases", json=case_body(order), headers=headers)
    again = await client.post("/cases", json=case_body(order), headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    assert await _cases_of(db, order) == [first.json()["case_id"]]


async def test_without_a_key_a_second_case_is_still_refused(client: AsyncClient) -> None:
    order = await push_order(client)
    assert (await client.post("/cases", json=case_body(order), headers=order.buyer)).status_code == 201
    again = await client.post("/cases", json=case_body(order), headers=order.buyer)
    assert (again.status_code, error(again)["code"]) == (409, "case_exists")


async def test_the_same_key_with_another_body_is_422_and_changes_nothing(client: AsyncClient, db: Sessions) -> None:
    order, key = await push_order(client), _key()
    headers = {**order.buyer, **key}
    first = await client.post("/cases", json=case_body(order, amount_cents=1000), headers=headers)

    changed = await client.post("/cases", json=case_body(order, amount_cents=2000), headers=headers)

    assert (changed.status_code, error(changed)["code"]) == (422, "idempotency_key_reused")
    assert await _cases_of(db, order) == [first.json()["case_id"]]


async def test_a_failed_first_attempt_does_not_wedge_the_key(client: AsyncClient, db: Sessions) -> None:
    order, key = OrderRef(new_id("order"), new_id("buyer"), new_id("shop"), 9900, None), _key()
    headers = {**order.buyer, **key}

    too_early = await client.post("/cases", json=case_body(order), headers=headers)  # the order is not there yet
    body = order_body(order.order_id, order.buyer_id, order.shop_id)
    assert (await client.post("/orders", json=body, headers=SYSTEM)).status_code == 201
    retried = await client.post("/cases", json=case_body(order), headers=headers)

    assert (too_early.status_code, retried.status_code) == (404, 201)
    assert await _cases_of(db, order) == [retried.json()["case_id"]]


async def test_a_crash_on_the_first_attempt_is_500_and_the_retry_runs_afresh(
    client: AsyncClient, db: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    order, key = await push_order(client), _key()
    headers = {**order.buyer, **key}

    async def crash(*_args: object) -> None:
        raise RuntimeError("temporal exploded")

    monkeypatch.setattr("api.routes.cases.start_case", crash)
    crashed = await client.post("/cases", json=case_body(order), headers=headers)
    monkeypatch.setattr("api.routes.cases.start_case", start_case)
    retried = await client.post("/cases", json=case_body(order), headers=headers)

    assert (crashed.status_code, error(crashed)["code"]) == (500, "internal_error")
    assert retried.status_code == 201 and retried.json()["status"] == "awaiting_merchant"
    assert await _cases_of(db, order) == [retried.json()["case_id"]]  # the crashed attempt left no case behind


async def test_parallel_twins_open_one_case_and_none_gets_a_5xx(client: AsyncClient, db: Sessions) -> None:
    order, key = await push_order(client), _key()
    headers = {**order.buyer, **key}

    responses = await asyncio.gather(*(client.post("/cases", json=case_body(order), headers=headers) for _ in range(6)))

    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409} and statuses.count(201) >= 1, statuses
    assert {error(r)["code"] for r in responses if r.status_code == 409} <= {"idempotency_in_flight"}
    assert len({r.json()["case_id"] for r in responses if r.status_code == 201}) == 1
    assert len(await _cases_of(db, order)) == 1


async def test_a_key_is_scoped_to_its_caller_and_endpoint(client: AsyncClient, db: Sessions) -> None:
    key = _key()
    mine, theirs = await push_order(client), await push_order(client)

    a = await client.post("/cases", json=case_body(mine), headers={**mine.buyer, **key})
    b = await client.post("/cases", json=case_body(theirs), headers={**theirs.buyer, **key})
    note = {"action": "message", "text": "你好"}
    c = await client.post(f"/cases/{a.json()['case_id']}/actions", json=note, headers={**mine.buyer, **key})

    assert (a.status_code, b.status_code, c.status_code) == (201, 201, 200)
    assert a.json()["case_id"] != b.json()["case_id"] and b.json()["buyer_id"] == theirs.buyer_id
    assert len(await _records(db, key["Idempotency-Key"])) == 3


@pytest.mark.parametrize(
    "bad_key", ["k" * 201, "", "   ", "key\x01", "ключ"], ids=["201 chars", "empty", "blank", "control", "non-ascii"]
)
async def test_a_malformed_key_is_400_and_nothing_is_stored(client: AsyncClient, db: Sessions, bad_key: str) -> None:
    order = await push_order(client)
    headers = {name.encode(): value.encode() for name, value in order.buyer.items()}
    headers[b"Idempotency-Key"] = bad_key.encode()

    response = await client.post("/cases", json=case_body(order), headers=headers)

    assert (response.status_code, error(response)["code"]) == (400, "invalid_idempotency_key")
    assert await _cases_of(db, order) == []


async def test_a_200_character_key_is_fine(client: AsyncClient) -> None:
    order = await push_order(client)
    response = await client.post("/cases", json=case_body(order), headers={**order.buyer, "Idempotency-Key": "k" * 200})
    assert response.status_code == 201


async def test_a_record_older_than_the_ttl_counts_as_new(client: AsyncClient, db: Sessions) -> None:
    order, key = await push_order(client), _key()
    headers = {**order.buyer, **key}
    first = await client.post("/cases", json=case_body(order, amount_cents=1000), headers=headers)
    async with db() as session, session.begin():
        aged = utcnow() - timedelta(hours=24, minutes=1)
        await session.exec(
            update(IdempotencyRecord)
            .where(col(IdempotencyRecord.key) == key["Idempotency-Key"])
            .values(created_at=aged)
        )

    later = await client.post("/cases", json=case_body(order, amount_cents=2000), headers=headers)

    assert first.status_code == 201
    assert (later.status_code, error(later)["code"]) == (409, "case_exists")  # processed afresh, not a 422 reuse


async def test_a_key_still_in_flight_is_409(client: AsyncClient, db: Sessions) -> None:
    order, key = await push_order(client), _key()
    headers = {**order.buyer, **key}
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow_start(*args: object) -> None:
        entered.set()
        await release.wait()
        await start_case(*args)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("api.routes.cases.start_case", slow_start)
        first = asyncio.create_task(client.post("/cases", json=case_body(order), headers=headers))
        await entered.wait()
        twin = await client.post("/cases", json=case_body(order), headers=headers)
        release.set()
        done = await first

    assert (twin.status_code, error(twin)["code"]) == (409, "idempotency_in_flight")
    assert done.status_code == 201
    replay = await client.post("/cases", json=case_body(order), headers=headers)
    assert replay.content == done.content


async def test_a_replayed_approval_refunds_once(client: AsyncClient, db: Sessions) -> None:
    order, key = await push_order(client), _key()
    case_id = (await client.post("/cases", json=case_body(order), headers=order.buyer)).json()["case_id"]
    path = f"/cases/{case_id}/actions"

    first = await client.post(path, json={"action": "approve"}, headers={**order.merchant, **key})
    again = await client.post(path, json={"action": "approve"}, headers={**order.merchant, **key})

    assert (first.status_code, again.status_code, again.content) == (200, 200, first.content)
    async with db() as session:
        rows = (await session.exec(select(LedgerEntry).where(LedgerEntry.case_id == case_id))).all()
    assert [(r.kind, r.amount_cents) for r in rows] == [("refund", 9900)]


async def test_the_header_is_in_the_openapi_document(client: AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    for path in ("/cases", "/cases/{case_id}/actions", "/orders", "/logistics/events"):
        names = {p["name"] for p in document["paths"][path]["post"].get("parameters", [])}
        assert "Idempotency-Key" in names, path
