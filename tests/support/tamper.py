"""Changing history as an attacker with the rights to drop the timeline's guard would."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from models.append_only import create_guard, drop_guard


@asynccontextmanager
async def unguarded(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A transaction in which case events can be changed; the guard is back when it commits."""
    async with sessions() as session, session.begin():
        dialect = (await session.connection()).dialect.name
        for statement in drop_guard(dialect):
            await session.exec(text(statement))
        yield session
        for statement in create_guard(dialect):
            await session.exec(text(statement))
