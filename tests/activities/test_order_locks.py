"""An oversold case that closes, by any path, lifts its order's lock — or cancels the order when it was refunded in
full — once, however often the activity runs; a case closed from outside (cancellation, reconciliation) does the
same. Real database."""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import ActivityEnvironment

from activities import closing
from activities.order_locks import OrderLocks
from models.checkpoint import CheckpointKeys
from models.db import transaction
from models.ledger import LedgerEntry, LedgerKind, LedgerStatus
from models.order import Order
from rulebook.enums import CaseKind, LockRelease, Role
from tests.builders import add_case, add_order
from workflows.messages import PLATFORM_ID, EventDraft
from workflows.order_lock_messages import CaseLockRelease, CaseLockReleased

Sessions = async_sessionmaker[AsyncSession]


async def locked_order(sessions: Sessions, kind: CaseKind = CaseKind.OVERSOLD) -> tuple[str, str]:
    order = await add_order(sessions, shipped=False)
    async with transaction(sessions) as session:
        row = await session.get(Order, order.order_id)
        assert row is not None
        row.locked_at, row.locked_sku = datetime.now(UTC), "tee-1"
        session.add(row)
    case = await add_case(sessions, order, kind=kind)
    return case.case_id, order.order_id


async def stored(sessions: Sessions, order_id: str) -> Order:
    async with sessions() as session:
        order = await session.get(Order, order_id)
    assert order is not None
    return order


async def release(sessions: Sessions, case_id: str, order_id: str, refunded_in_full: bool) -> CaseLockReleased:
    released: CaseLockReleased = await ActivityEnvironment().run(
        OrderLocks(sessions).release_case_lock, CaseLockRelease(case_id, order_id, refunded_in_full)
    )
    return released


async def test_a_closing_oversold_case_unlocks_its_order_once(sessions: Sessions) -> None:
    case_id, order_id = await locked_order(sessions)

    first = await release(sessions, case_id, order_id, refunded_in_full=False)
    again = await release(sessions, case_id, order_id, refunded_in_full=False)

    assert (first.outcome, first.event_type) == (LockRelease.UNLOCKED, "order_unlocked")
    assert (again.outcome, again.event_type) == (LockRelease.NOT_LOCKED, None)
    order = await stored(sessions, order_id)
    assert order.locked_at is None and order.unlocked_at is not None
    assert (order.unlocked_by, order.cancelled_at) == ("case_closed", None)


async def test_refunded_in_full_the_order_is_cancelled_instead_and_stays_so(sessions: Sessions) -> None:
    case_id, order_id = await locked_order(sessions)

    first = await release(sessions, case_id, order_id, refunded_in_full=True)
    again = await release(sessions, case_id, order_id, refunded_in_full=True)

    assert (first.outcome, first.event_type) == (LockRelease.CANCELLED, "order_cancelled")
    assert again.outcome == LockRelease.NOT_LOCKED
    order = await stored(sessions, order_id)
    assert order.cancelled_at is not None and order.locked_at is None


async def test_the_ledger_is_the_authority_on_a_full_refund(sessions: Sessions) -> None:
    case_id, order_id = await locked_order(sessions)
    async with transaction(sessions) as session:
        session.add(
            LedgerEntry(
                business_key=f"case-{case_id}:refund:1",
                case_id=case_id,
                order_id=order_id,
                kind=LedgerKind.REFUND,
                amount_cents=9900,
                status=LedgerStatus.SUCCEEDED,
            )
        )

    released = await release(sessions, case_id, order_id, refunded_in_full=False)

    assert released.outcome == LockRelease.CANCELLED


async def test_another_kind_of_case_never_lifts_the_lock(sessions: Sessions) -> None:
    case_id, order_id = await locked_order(sessions, kind=CaseKind.REFUND_ONLY)

    released = await release(sessions, case_id, order_id, refunded_in_full=False)

    assert released.outcome == LockRelease.NOT_OVERSOLD
    assert (await stored(sessions, order_id)).locked_at is not None


async def test_the_remedy_s_unlock_still_works_and_says_so(sessions: Sessions) -> None:
    case_id, order_id = await locked_order(sessions)

    await ActivityEnvironment().run(OrderLocks(sessions).unlock_order, order_id)

    order = await stored(sessions, order_id)
    assert (order.locked_at, order.unlocked_by) == (None, "remedy")
    assert (await release(sessions, case_id, order_id, refunded_in_full=False)).outcome == LockRelease.NOT_LOCKED


async def test_a_case_closed_from_outside_lifts_the_lock_too(sessions: Sessions) -> None:
    case_id, order_id = await locked_order(sessions)
    draft = EventDraft("case_cancelled", Role.AGENT, PLATFORM_ID, datetime.now(UTC), {"via": "cancel_request"})

    status, closed = await closing.close(sessions, CheckpointKeys.development(), case_id, draft)
    assert status == "cancelled"

    assert closed and (await stored(sessions, order_id)).unlocked_by == "case_closed"
