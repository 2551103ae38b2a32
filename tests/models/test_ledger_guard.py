"""The ledger is append-only in the database itself (issue "A record no one can rewrite", finding 3): a paid refund
set back to `failed` let a new case refund the same money again. A move is inserted once and settles once, `pending
→ succeeded | failed`, of its outcome's columns only; every other UPDATE, and every DELETE, is refused by a trigger —
on SQLite and on PostgreSQL, the owner included — and on PostgreSQL the service's role lacks the rights besides."""

from typing import Any

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import ActivityEnvironment

from activities.adapters.payments import FakePaymentProvider
from activities.payments import MoneyActivities
from models.db import transaction
from models.ledger import LedgerEntry, LedgerKind, LedgerStatus
from models.types import utcnow
from tests.builders import add_case, add_order
from workflows.messages import MoneyMove

Sessions = async_sessionmaker[AsyncSession]
REFUSED = "ledger_entries is append-only"


async def a_row(sessions: Sessions, status: LedgerStatus = LedgerStatus.PENDING, **extra: Any) -> LedgerEntry:
    case = await add_case(sessions, await add_order(sessions))
    entry = LedgerEntry(
        business_key=f"case-{case.case_id}:refund:1",
        case_id=case.case_id,
        order_id=case.order_id,
        kind=LedgerKind.REFUND,
        amount_cents=9900,
        asked_cents=9900,
        status=status,
        **extra,
    )
    async with transaction(sessions) as session:
        session.add(entry)
    return entry


async def stored(sessions: Sessions, key: str) -> LedgerEntry:
    async with sessions() as session:
        return (await session.exec(select(LedgerEntry).where(LedgerEntry.business_key == key))).one()


async def run(sessions: Sessions, statement: Any) -> None:
    async with transaction(sessions) as session:
        await session.exec(statement)


def by_key(key: str) -> Any:
    return update(LedgerEntry).where(col(LedgerEntry.business_key) == key)


async def test_the_testers_update_of_a_paid_refund_to_failed_is_refused(
    sessions: Sessions, owner_sessions: Sessions
) -> None:
    """The finding itself: `UPDATE ledger_entries SET status='failed'` on a paid refund, as the service connects
    and as the schema's owner; the refund stays paid, so the order has nothing left to refund again."""
    paid = await a_row(sessions, LedgerStatus.SUCCEEDED, external_ref="RF-1", completed_at=utcnow())
    for who in (sessions, owner_sessions):
        with pytest.raises(DBAPIError, match=r"append-only|permission denied"):
            async with transaction(who) as session:
                tampering = text("UPDATE ledger_entries SET status = 'failed' WHERE business_key = :key")
                await session.exec(tampering.bindparams(key=paid.business_key))
    assert (await stored(sessions, paid.business_key)).status == LedgerStatus.SUCCEEDED


@pytest.mark.parametrize(
    "change",
    [
        {"status": LedgerStatus.PENDING},
        {"status": LedgerStatus.SUCCEEDED, "external_ref": "RF-other"},
        {"external_ref": "RF-other"},
        {"note": "nothing happened"},
    ],
)
async def test_a_settled_move_never_changes_again(owner_sessions: Sessions, change: dict[str, Any]) -> None:
    paid = await a_row(owner_sessions, LedgerStatus.SUCCEEDED, external_ref="RF-1")
    with pytest.raises(DBAPIError, match=REFUSED):
        await run(owner_sessions, by_key(paid.business_key).values(**change))
    after = await stored(owner_sessions, paid.business_key)
    assert (after.status, after.external_ref) == (LedgerStatus.SUCCEEDED, "RF-1")


@pytest.mark.parametrize(
    "change",
    [
        {"amount_cents": 1},
        {"asked_cents": 1},
        {"order_id": "another-order"},
        {"kind": LedgerKind.COUPON},
        {"business_key": "case-x:refund:9"},
        {"lines": {"tee-1": 1}},
        {"status": LedgerStatus.REFUSED},
        {"status": LedgerStatus.SUCCEEDED, "amount_cents": 19800},
    ],
)
async def test_a_pending_move_settles_but_is_not_rewritten(owner_sessions: Sessions, change: dict[str, Any]) -> None:
    pending = await a_row(owner_sessions)
    with pytest.raises(DBAPIError, match=REFUSED):
        await run(owner_sessions, by_key(pending.business_key).values(**change))
    after = await stored(owner_sessions, pending.business_key)
    assert (after.status, after.amount_cents, after.order_id) == (LedgerStatus.PENDING, 9900, pending.order_id)


@pytest.mark.parametrize("outcome", [LedgerStatus.SUCCEEDED, LedgerStatus.FAILED])
async def test_a_pending_move_settles_once(sessions: Sessions, outcome: LedgerStatus) -> None:
    pending = await a_row(sessions)
    settle = {"status": outcome, "external_ref": "RF-1", "completed_at": utcnow(), "note": "settled"}
    await run(sessions, by_key(pending.business_key).values(**settle))
    assert (await stored(sessions, pending.business_key)).status == outcome
    with pytest.raises(DBAPIError, match=r"append-only|permission denied"):
        await run(sessions, by_key(pending.business_key).values(status=LedgerStatus.FAILED, external_ref=None))
    assert (await stored(sessions, pending.business_key)).status == outcome


async def test_a_move_cannot_be_removed(sessions: Sessions, owner_sessions: Sessions) -> None:
    row = await a_row(sessions, LedgerStatus.SUCCEEDED)
    for who in (sessions, owner_sessions):
        with pytest.raises(DBAPIError, match=r"append-only|permission denied"):
            await run(who, delete(LedgerEntry).where(col(LedgerEntry.business_key) == row.business_key))
    assert (await stored(sessions, row.business_key)).status == LedgerStatus.SUCCEEDED


async def test_money_still_moves_through_the_guarded_ledger(sessions: Sessions) -> None:
    """The claim inserts, the provider's answer settles: both pass the guard; a second settlement of the same key
    (a concurrent attempt, the reconciliation) leaves the first outcome standing."""
    case = await add_case(sessions, await add_order(sessions))
    move = MoneyMove(case.case_id, case.order_id, f"case-{case.case_id}:refund:1", "refund", 9900)
    money = MoneyActivities(sessions, FakePaymentProvider())
    first = await ActivityEnvironment().run(money.move_money, move)
    again = await ActivityEnvironment().run(money.move_money, move)
    assert (first.status, again.external_ref) == ("paid", first.external_ref)
    settled = await money._settle(move.business_key, LedgerStatus.FAILED, None, "late")
    assert (settled.status, settled.external_ref) == (LedgerStatus.SUCCEEDED, first.external_ref)


SERVICE_MAY_NOT = [
    "UPDATE ledger_entries SET amount_cents = 1",
    "UPDATE ledger_entries SET status = 'failed'",
    "DELETE FROM ledger_entries",
    "TRUNCATE ledger_entries",
    "ALTER TABLE ledger_entries DISABLE TRIGGER ALL",
    "DROP TRIGGER ledger_entries_settle_once ON ledger_entries",
    "DROP FUNCTION ledger_entries_settle_once() CASCADE",
]


@pytest.mark.parametrize("statement", SERVICE_MAY_NOT)
async def test_the_services_role_may_not_rewrite_the_ledger_nor_touch_its_guard(
    sessions: Sessions, database_url: str, owner_url: str, statement: str
) -> None:
    if make_url(database_url).get_backend_name() != "postgresql" or database_url == owner_url:
        pytest.skip("needs PostgreSQL with a service role apart from the owner (make pytest-postgres)")
    paid = await a_row(sessions, LedgerStatus.SUCCEEDED, external_ref="RF-1")
    with pytest.raises(DBAPIError, match=r"permission denied|must be owner|append-only"):
        async with transaction(sessions) as session:
            await session.exec(text(statement))
    after = await stored(sessions, paid.business_key)
    assert (after.status, after.amount_cents) == (LedgerStatus.SUCCEEDED, 9900)
