"""Alembic environment: the URL comes from the settings (or `-x url=...`), the schema from `models`."""

import asyncio
from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import models
from models.privileges import service_grants
from models.types import EnumText
from settings import get_settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = models.metadata


def database_url() -> str:
    given = config.attributes.get("database_url") or context.get_x_argument(as_dictionary=True).get("url")
    return str(given or get_settings().database_url)


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Enums are stored as plain strings: render them so, and a new member needs no migration."""
    if type_ == "type" and isinstance(obj, EnumText):
        return "sa.String(length=32)"
    return False


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_item=render_item,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
        role = config.attributes.get("service_role") or get_settings().database_service_role
        if role and connection.dialect.name == "postgresql":
            for statement in service_grants(role):
                connection.execute(text(statement))


async def run_async_migrations() -> None:
    engine = create_async_engine(database_url(), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_async_migrations())
