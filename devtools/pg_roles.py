"""`python -m devtools.pg_roles ADMIN_DSN`: the two PostgreSQL roles of the least-privilege setup, made once by an
administrator (idempotent). `aftersales_owner` owns the schema and runs the migrations; `aftersales_service` is what
the API and the worker connect as (its grants come with every migration: `models/privileges.py`). Neither is a
superuser. Local and CI databases trust 127.0.0.1; production gives each a password (README, "Production")."""

import asyncio
import sys

import asyncpg  # type: ignore[import-untyped]

OWNER, SERVICE = "aftersales_owner", "aftersales_service"


async def create_roles(admin_dsn: str) -> None:
    connection = await asyncpg.connect(admin_dsn)
    try:
        database = await connection.fetchval("SELECT current_database()")
        for role in (OWNER, SERVICE):
            exists = await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            if not exists:
                await connection.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
        await connection.execute(f'GRANT CONNECT, CREATE ON DATABASE "{database}" TO {OWNER}')
        await connection.execute(f'GRANT CONNECT ON DATABASE "{database}" TO {SERVICE}')
        await connection.execute(f"ALTER SCHEMA public OWNER TO {OWNER}")
    finally:
        await connection.close()


if __name__ == "__main__":
    asyncio.run(create_roles(sys.argv[1]))
