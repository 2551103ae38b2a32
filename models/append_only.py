"""The database's own guard on the timeline and its signed checkpoints: rows can be appended, never changed or
removed (AUDIT-04).

The hash chain and the signed checkpoints show tampering after the fact; this guard refuses it up front, for every
client of the database, not only this service. Someone with the rights to drop the guard can still tamper, which
the chain, the head kept on the case and the checkpoints (signed with a key no database role holds) then show.
"""

GUARDED_TABLE = "case_events"
CHECKPOINTS_TABLE = "case_checkpoints"
PACKETS_TABLE = "decision_packets"
GUARDED_TABLES = (GUARDED_TABLE, CHECKPOINTS_TABLE, PACKETS_TABLE)


def _message(table: str) -> str:
    return f"{table} is append-only"


def _sqlite_create(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{_message(table)}'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{_message(table)}'); END",
    ]


def _sqlite_drop(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"]


def _postgres_create(table: str) -> list[str]:
    return [
        f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{_message(table)}'; END $$",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
    ]


def _postgres_drop(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}", f"DROP FUNCTION IF EXISTS {table}_append_only()"]


def create_guard(dialect: str, table: str = GUARDED_TABLE) -> list[str]:
    return _postgres_create(table) if dialect == "postgresql" else _sqlite_create(table)


def drop_guard(dialect: str, table: str = GUARDED_TABLE) -> list[str]:
    return _postgres_drop(table) if dialect == "postgresql" else _sqlite_drop(table)
