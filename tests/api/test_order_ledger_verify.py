"""`GET /orders/{order_id}/verify` checks the order's ledger against the money events on its cases' timelines (issue
"A record no one can rewrite", finding 3): a succeeded move no event names, an event no succeeded move backs, and
refunds past what the order paid are found — tampering that gets past the grants, done here as the schema's owner."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from httpx import AsyncClient
from sqlalchemy import func, text, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import ledger_guard
from models.ledger import LedgerEntry, LedgerKind, LedgerStatus
from models.timeline import CaseEvent
from models.types import utcnow
from tests.api.helpers import AGENT, OrderRef, open_case, push_order

Sessions = async_sessionmaker[AsyncSession]


async def verified(client: AsyncClient, order: OrderRef, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = await client.get(f"/orders/{order.order_id}/verify", headers=headers or order.buyer)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def problems(check: dict[str, Any]) -> list[str]:
    return sorted(finding["problem"] for finding in check["findings"])


async def refunded_at_once(client: AsyncClient, total_cents: int = 9900) -> tuple[OrderRef, str]:
    """An order not shipped yet: its refund_only case refunds in full and closes at once."""
    order = await push_order(client, shipped=False, total_cents=total_cents)
    return order, (await open_case(client, order))["case_id"]


async def append_event(sessions: Sessions, case_id: str, type_: str, data: dict[str, Any]) -> None:
    """An event added to a case's timeline by one who can write the table (its hash chain is not the point)."""
    async with sessions() as session, session.begin():
        last = (await session.exec(select(func.max(CaseEvent.seq)).where(CaseEvent.case_id == case_id))).one()
        session.add(
            CaseEvent(
                case_id=case_id, seq=(last or 0) + 1, type=type_, actor_role="system", actor_id="platform",
                at=utcnow(), data=data, prev_hash="0" * 64, hash="f" * 64,
            )
        )  # fmt: skip


@asynccontextmanager
async def ledger_unguarded(sessions: Sessions) -> AsyncIterator[AsyncSession]:
    """A transaction of one who owns the schema and drops the ledger's guard; the guard is back when it commits."""
    async with sessions() as session, session.begin():
        dialect = (await session.connection()).dialect.name
        for statement in ledger_guard.drop_guard(dialect):
            await session.exec(text(statement))
        yield session
        for statement in ledger_guard.create_guard(dialect):
            await session.exec(text(statement))


async def test_an_order_whose_ledger_and_timelines_agree_is_valid(client: AsyncClient) -> None:
    order, _ = await refunded_at_once(client)

    check = await verified(client, order)

    assert check == {"valid": True, "moves": 1, "events": 1, "findings": []}
    assert await verified(client, order, order.merchant) == check
    assert await verified(client, order, AGENT) == check


async def test_a_succeeded_move_without_its_event_is_found(client: AsyncClient, owner_sessions: Sessions) -> None:
    order, case_id = await refunded_at_once(client, total_cents=9900)
    async with owner_sessions() as session, session.begin():  # inserts pass the guard: the ledger is insert-only
        session.add(
            LedgerEntry(
                business_key=f"case-{case_id}:refund:7", case_id=case_id, order_id=order.order_id,
                kind=LedgerKind.COUPON, amount_cents=500, asked_cents=500, status=LedgerStatus.SUCCEEDED,
                external_ref="CP-forged", completed_at=utcnow() - timedelta(hours=1),
            )
        )  # fmt: skip

    check = await verified(client, order)

    assert check["valid"] is False
    assert problems(check) == ["move_without_event"]
    assert check["findings"][0] | {"message": ""} == {
        "problem": "move_without_event",
        "message": "",
        "business_key": f"case-{case_id}:refund:7",
        "case_id": case_id,
        "amount_cents": 500,
    }


async def test_a_money_event_without_its_move_and_refunds_past_paid_are_found(
    client: AsyncClient, owner_sessions: Sessions
) -> None:
    order, case_id = await refunded_at_once(client, total_cents=9900)
    forged = {"business_key": f"case-{case_id}:refund:2", "amount_cents": 9900, "status": "paid", "external_ref": "x"}
    await append_event(owner_sessions, case_id, "refund_executed", forged)

    check = await verified(client, order)

    assert check["valid"] is False and check["events"] == 2
    assert problems(check) == ["event_without_move", "refunded_past_paid"]
    without = next(f for f in check["findings"] if f["problem"] == "event_without_move")
    assert (without["business_key"], without["case_id"], without["event_amount_cents"], without["event_seq"]) == (
        f"case-{case_id}:refund:2",
        case_id,
        9900,
        6,
    )
    past = next(f for f in check["findings"] if f["problem"] == "refunded_past_paid")
    assert past["event_amount_cents"] == 19800


async def test_the_testers_rewrite_shows_once_the_guard_is_dropped(
    client: AsyncClient, owner_sessions: Sessions
) -> None:
    """Finding 3 as it happened, by one who can drop the guard: the paid refund set to `failed` frees the order, a
    second case refunds 9 900 again; the provider paid 19 800 on a 9 900 order, and verify says so."""
    order, first = await refunded_at_once(client, total_cents=9900)
    async with ledger_unguarded(owner_sessions) as session:
        rewritten = update(LedgerEntry).where(col(LedgerEntry.case_id) == first).values(status=LedgerStatus.FAILED)
        await session.exec(rewritten)
    second = (await open_case(client, order))["case_id"]

    check = await verified(client, order)

    assert check["valid"] is False and (check["moves"], check["events"]) == (2, 2)
    assert problems(check) == ["event_of_unsettled_move", "refunded_past_paid"]
    unsettled = next(f for f in check["findings"] if f["problem"] == "event_of_unsettled_move")
    assert (unsettled["business_key"], unsettled["case_id"]) == (f"case-{first}:refund:1", first)
    assert next(f for f in check["findings"] if f["problem"] == "refunded_past_paid")["event_amount_cents"] == 19800
    assert second != first


async def test_an_amount_that_differs_from_its_event_is_found(client: AsyncClient, owner_sessions: Sessions) -> None:
    order, case_id = await refunded_at_once(client, total_cents=9900)
    async with ledger_unguarded(owner_sessions) as session:
        rewritten = update(LedgerEntry).where(col(LedgerEntry.case_id) == case_id).values(amount_cents=100)
        await session.exec(rewritten)

    check = await verified(client, order)

    assert problems(check) == ["amount_differs"]
    assert (check["findings"][0]["amount_cents"], check["findings"][0]["event_amount_cents"]) == (100, 9900)
