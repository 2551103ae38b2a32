"""Test database housekeeping. Tables are created by migrations, never here."""

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from models.migrate import upgrade_async


async def reset_database(url: str) -> None:
    """Empty the database: SQLite deletes the file, PostgreSQL recreates the `public` schema."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _delete_sqlite_files(parsed.database)
        return
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"unsupported test database: {parsed.render_as_string(hide_password=True)}")
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def migrate(owner_url: str, service_url: str) -> None:
    """Migrations as the owner; on PostgreSQL with a service role of its own, that role granted what it needs."""
    service_role = make_url(service_url).username
    await upgrade_async(owner_url, service_role if service_role != make_url(owner_url).username else None)


def _delete_sqlite_files(database: str) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(database + suffix).unlink(missing_ok=True)
