"""The database's own guard on the timeline: events can be appended, never changed or removed (AUDIT-04).

The hash chain shows tampering after the fact; this guard refuses it up front, for every client of the
database, not only this service. Someone with the rights to drop the guard can still tamper, which the
chain and the head kept on the case then show.
"""

GUARDED_TABLE = "case_events"
MESSAGE = "case_events is append-only"

_SQLITE_CREATE = [
    f"CREATE TRIGGER case_events_no_update BEFORE UPDATE ON {GUARDED_TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    f"CREATE TRIGGER case_events_no_delete BEFORE DELETE ON {GUARDED_TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
]
_SQLITE_DROP = ["DROP TRIGGER IF EXISTS case_events_no_update", "DROP TRIGGER IF EXISTS case_events_no_delete"]

_POSTGRES_CREATE = [
    "CREATE OR REPLACE FUNCTION case_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$",
    f"CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON {GUARDED_TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION case_events_append_only()",
]
_POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS case_events_append_only ON {GUARDED_TABLE}",
    "DROP FUNCTION IF EXISTS case_events_append_only()",
]


def create_guard(dialect: str) -> list[str]:
    return _POSTGRES_CREATE if dialect == "postgresql" else _SQLITE_CREATE


def drop_guard(dialect: str) -> list[str]:
    return _POSTGRES_DROP if dialect == "postgresql" else _SQLITE_DROP


# --- other write-once tables: the same guard under the table's own names ------------------------------------------

PACKETS_TABLE = "decision_packets"


def create_guard_on(table: str, dialect: str) -> list[str]:
    """The guard of `table` (append-only, as `case_events`): triggers named after it."""
    message = f"{table} is append-only"
    if dialect == "postgresql":
        return [
            f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
        ]
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END",
    ]


def drop_guard_on(table: str, dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"DROP FUNCTION IF EXISTS {table}_append_only()",
        ]
    return [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"]
