"""An oversold order's lock (`orders.locked_at`), lifted by the case: once the merchant's remedy has executed
(`unlock_order`, running cases), and whenever an oversold case closes by any path (`release_case_lock`: resolved,
rejected, withdrawn, cancelled, decided by the platform) — unlocked, or cancelled if the order was refunded in full.
Both are idempotent. A restock lifts it from the API's side (api/oversold.py)."""

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity

from models import order_locks
from models.case import Case
from models.db import transaction
from models.order import Order
from models.types import utcnow
from rulebook.enums import CaseKind, LockRelease
from workflows.order_lock_messages import CaseLockRelease, CaseLockReleased


class OrderLocks:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @activity.defn
    async def unlock_order(self, order_id: str) -> None:
        """The merchant's remedy was carried out. Idempotent: an order already unlocked stays so."""
        async with transaction(self._sessions) as session:
            order = await session.get(Order, order_id, with_for_update=True)
            if order is not None:
                order_locks.unlock(order, order_locks.Unlocked.REMEDY, utcnow())
                session.add(order)

    @activity.defn
    async def release_case_lock(self, release: CaseLockRelease) -> CaseLockReleased:
        """The oversold case closed: its order is unlocked, or cancelled if refunded in full and not shipped."""
        async with transaction(self._sessions) as session:
            case = await session.get(Case, release.case_id)
            if case is None or case.kind != CaseKind.OVERSOLD or case.order_id != release.order_id:
                return CaseLockReleased(release.order_id, LockRelease.NOT_OVERSOLD)
            outcome = await order_locks.release(session, release.order_id, release.refunded_in_full, utcnow())
        return CaseLockReleased(release.order_id, outcome)
