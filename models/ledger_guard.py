"""The database's own guard on the ledger (issue "A record no one can rewrite", finding 3): a money move is a row
that is only ever inserted; its outcome is the one transition `pending → succeeded | failed`, made once, of the
outcome's columns only (`status`, `external_ref`, `completed_at`, `note`). Anything else — a paid refund set back to
`failed`, an amount changed, a row removed — is refused by the database for every client, the schema's owner included.

On PostgreSQL the service role also holds no DELETE or TRUNCATE on the table and may UPDATE only the outcome's
columns (`models/privileges.py`); not owning the table, it cannot drop or disable these triggers.
"""

GUARDED_TABLE = "ledger_entries"
MESSAGE = "ledger_entries is append-only: only a pending move settles, once"
SETTLED = ("succeeded", "failed")
# What a move is: never changed once inserted (the outcome's columns change once, with the transition).
FIXED_COLUMNS = ("id", "business_key", "case_id", "order_id", "kind", "amount_cents", "asked_cents", "created_at")
OUTCOME_COLUMNS = ("status", "external_ref", "completed_at", "note")

_SETTLED_SQL = ", ".join(f"'{status}'" for status in SETTLED)

_SQLITE_UNCHANGED = " AND ".join(f"NEW.{column} IS OLD.{column}" for column in (*FIXED_COLUMNS, "lines"))
_SQLITE_CREATE = [
    f"CREATE TRIGGER ledger_entries_settle_once BEFORE UPDATE ON {GUARDED_TABLE} "
    f"WHEN NOT (OLD.status = 'pending' AND NEW.status IN ({_SETTLED_SQL}) AND {_SQLITE_UNCHANGED}) "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    f"CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON {GUARDED_TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
]
_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS ledger_entries_settle_once",
    "DROP TRIGGER IF EXISTS ledger_entries_no_delete",
]

_POSTGRES_CHANGED = " OR ".join(
    [f"NEW.{column} IS DISTINCT FROM OLD.{column}" for column in FIXED_COLUMNS]
    + ["NEW.lines::text IS DISTINCT FROM OLD.lines::text"]  # json has no equality of its own
)
_POSTGRES_CREATE = [
    "CREATE OR REPLACE FUNCTION ledger_entries_settle_once() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP <> 'UPDATE' THEN RAISE EXCEPTION '{MESSAGE}'; END IF; "
    f"IF OLD.status <> 'pending' OR NEW.status NOT IN ({_SETTLED_SQL}) OR {_POSTGRES_CHANGED} "
    f"THEN RAISE EXCEPTION '{MESSAGE}'; END IF; "
    "RETURN NEW; END $$",
    f"CREATE TRIGGER ledger_entries_settle_once BEFORE UPDATE OR DELETE ON {GUARDED_TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION ledger_entries_settle_once()",
    f"CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON {GUARDED_TABLE} "
    "FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_settle_once()",
]
_POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS ledger_entries_no_truncate ON {GUARDED_TABLE}",
    f"DROP TRIGGER IF EXISTS ledger_entries_settle_once ON {GUARDED_TABLE}",
    "DROP FUNCTION IF EXISTS ledger_entries_settle_once()",
]


def create_guard(dialect: str) -> list[str]:
    return _POSTGRES_CREATE if dialect == "postgresql" else _SQLITE_CREATE


def drop_guard(dialect: str) -> list[str]:
    return _POSTGRES_DROP if dialect == "postgresql" else _SQLITE_DROP
