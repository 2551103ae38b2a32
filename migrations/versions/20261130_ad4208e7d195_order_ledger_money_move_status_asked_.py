"""order ledger: money move status, asked amount and lines; case items; order ledger lock

Revision ID: ad4208e7d195
Revises: 69945acd11f0
Create Date: 2026-11-30 12:43:56.217248

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "ad4208e7d195"
down_revision: str | Sequence[str] | None = "69945acd11f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """One ledger per order: every move says what was asked and what it took from each named line; a case keeps
    the items it names; the order row is the lock that serialises its money moves."""
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("items", sa.JSON(), nullable=True))

    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("asked_cents", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("lines", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), server_default="", nullable=False)
        )

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ledger_seq", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("ledger_seq")

    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_column("note")
        batch_op.drop_column("lines")
        batch_op.drop_column("asked_cents")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("items")
