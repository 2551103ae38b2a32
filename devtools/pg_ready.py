"""`python -m devtools.pg_ready [DSN]`: exit 0 if PostgreSQL accepts a connection, 1 otherwise (used by `make test`)."""

import asyncio
import sys

import asyncpg  # type: ignore[import-untyped]

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"


async def ready(dsn: str, timeout: float = 3.0) -> bool:  # noqa: ASYNC109 - passed to asyncpg.connect
    try:
        connection = await asyncpg.connect(dsn, timeout=timeout)
    except (OSError, TimeoutError, asyncpg.PostgresError):
        return False
    await connection.close()
    return True


if __name__ == "__main__":
    sys.exit(0 if asyncio.run(ready(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_DSN)) else 1)
