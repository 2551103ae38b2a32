"""Least privilege on PostgreSQL (reliability.md AUDIT-04): the schema belongs to an owner role that runs the
migrations; the API and the worker connect as a service role that may read and write the tables they work on, but
may only INSERT and SELECT the timeline, its signed checkpoints and the decision packets — no UPDATE, DELETE or
TRUNCATE of `case_events`, `case_checkpoints` or `decision_packets`, and, not being the owner nor a superuser, no way
to drop or disable their append-only guards. The ledger likewise: INSERT and SELECT, and UPDATE of a move's outcome
columns only (the one settlement its guard lets through, `models/ledger_guard.py`), no DELETE or TRUNCATE. Applied
after every upgrade, so tables added by later migrations are covered."""

import re

from models.ledger_guard import OUTCOME_COLUMNS

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def service_grants(role: str) -> list[str]:
    if not ROLE_NAME.match(role):
        raise ValueError(f"not a plain role name: {role!r}")
    return [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON case_events FROM {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON case_checkpoints FROM {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON decision_packets FROM {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON ledger_entries FROM {role}",
        f"GRANT UPDATE ({', '.join(OUTCOME_COLUMNS)}) ON ledger_entries TO {role}",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
    ]
