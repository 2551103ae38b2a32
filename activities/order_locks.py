"""An oversold order's lock (`orders.locked_at`), lifted once the merchant's remedy has executed."""

from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity

from models.db import transaction
from models.order import Order


class OrderLocks:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @activity.defn
    async def unlock_order(self, order_id: str) -> None:
        """Idempotent: an order already unlocked stays so."""
        async with transaction(self._sessions) as session:
            await session.exec(update(Order).where(col(Order.order_id) == order_id).values(locked_at=None))
