"""Applies the Alembic migrations: once, before any API or worker process starts."""

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


def upgrade(database_url: str) -> None:
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


async def upgrade_async(database_url: str) -> None:
    """For callers inside an event loop: Alembic's async env runs its own loop, so it gets a thread."""
    await asyncio.to_thread(upgrade, database_url)
