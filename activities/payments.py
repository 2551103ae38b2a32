"""Money that leaves the platform (refunds, coupons), exactly once per business key.

A ledger row unique on the business key is claimed before the provider is called, and the provider
gets the same key as its own idempotency key, so neither a retried activity nor a restarted worker
can pay twice.
"""

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar
from temporalio import activity

from activities.adapters.payments import PaymentProvider
from models.db import transaction
from models.ledger import LedgerEntry, LedgerKind, LedgerStatus
from models.types import utcnow
from workflows.messages import MoneyMove, MoneyReceipt


class MoneyActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], provider: PaymentProvider) -> None:
        self._sessions = sessions
        self._provider = provider

    @activity.defn
    async def move_money(self, move: MoneyMove) -> MoneyReceipt:
        entry = await self._claim(move)
        if entry.status == LedgerStatus.SUCCEEDED and entry.external_ref:
            return MoneyReceipt(move.business_key, entry.external_ref, entry.amount_cents)
        pay = self._provider.refund if move.kind == LedgerKind.REFUND else self._provider.issue_coupon
        reference = await pay(idempotency_key=move.business_key, order_id=move.order_id, amount_cents=move.amount_cents)
        async with transaction(self._sessions) as session:
            entry = (await session.exec(_by_key(move.business_key))).one()
            entry.status, entry.external_ref, entry.completed_at = LedgerStatus.SUCCEEDED, reference, utcnow()
            session.add(entry)
        return MoneyReceipt(move.business_key, reference, entry.amount_cents)

    async def _claim(self, move: MoneyMove) -> LedgerEntry:
        """The ledger row of this business key: the existing one, or a new pending one."""
        try:
            async with transaction(self._sessions) as session:
                session.add(
                    LedgerEntry(
                        business_key=move.business_key,
                        case_id=move.case_id,
                        order_id=move.order_id,
                        kind=LedgerKind(move.kind),
                        amount_cents=move.amount_cents,
                    )
                )
        except IntegrityError:
            pass  # claimed before: by an earlier attempt of this same move
        async with self._sessions() as session:
            return (await session.exec(_by_key(move.business_key))).one()


def _by_key(business_key: str) -> SelectOfScalar[LedgerEntry]:
    return select(LedgerEntry).where(LedgerEntry.business_key == business_key)
