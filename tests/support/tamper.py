"""Changing history as an attacker with the rights to drop the timeline's guards would."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from models.append_only import GUARDED_TABLES, create_guard, drop_guard


@asynccontextmanager
async def unguarded(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A transaction in which case events and checkpoints can be changed; the guards are back when it commits."""
    async with sessions() as session, session.begin():
        dialect = (await session.connection()).dialect.name
        for table in GUARDED_TABLES:
            for statement in drop_guard(dialect, table):
                await session.exec(text(statement))
        yield session
        for table in GUARDED_TABLES:
            for statement in create_guard(dialect, table):
                await session.exec(text(statement))
