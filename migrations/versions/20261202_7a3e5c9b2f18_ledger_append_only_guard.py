"""ledger append-only guard: a money move is inserted once and settles once, pending → succeeded | failed

Revision ID: 7a3e5c9b2f18
Revises: 5b7d9f1a3c24
Create Date: 2026-12-02 09:00:00.000000

"""

from collections.abc import Sequence

from alembic import op

from models.ledger_guard import create_guard, drop_guard

# revision identifiers, used by Alembic.
revision: str = "7a3e5c9b2f18"
down_revision: str | Sequence[str] | None = "5b7d9f1a3c24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Refuse in the database itself any change to a ledger row but its one settlement, and any removal; the
    reconciliation finds pending rows by their status."""
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_entries_status"), ["status"], unique=False)
    for statement in create_guard(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_guard(op.get_bind().dialect.name):
        op.execute(statement)
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_entries_status"))
