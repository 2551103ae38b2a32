"""reset_database empties a SQLite test database (PostgreSQL is exercised by the session's database_url fixture)."""

from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support.db import reset_database


async def table_names(url: str) -> list[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await engine.dispose()


async def test_reset_database_empties_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'reset.db'}"
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE leftover (id INTEGER PRIMARY KEY)"))
    await engine.dispose()

    await reset_database(url)

    assert not (tmp_path / "reset.db").exists()
    assert await table_names(url) == []


async def test_database_url_fixture_names_a_supported_database(database_url: str) -> None:
    assert database_url.startswith(("sqlite+aiosqlite:///", "postgresql+asyncpg://"))
