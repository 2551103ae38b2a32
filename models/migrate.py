"""Applies the Alembic migrations: once, before any API or worker process starts."""

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


def upgrade(database_url: str, service_role: str | None = None) -> None:
    """Upgrades as the role of `database_url` (the owner); on PostgreSQL, then grants `service_role` what the
    service needs (`models.privileges`), when given (else the setting `AFTERSALES_DATABASE_SERVICE_ROLE`)."""
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = database_url
    config.attributes["service_role"] = service_role
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


async def upgrade_async(database_url: str, service_role: str | None = None) -> None:
    """For callers inside an event loop: Alembic's async env runs its own loop, so it gets a thread."""
    await asyncio.to_thread(upgrade, database_url, service_role)
