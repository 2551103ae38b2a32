"""decision packets: each decision's facts, settings, rule book and outcome, write-once beside its event

Revision ID: 5b7d9f1a3c24
Revises: 3c1a9e7b5d20
Create Date: 2026-12-02 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from models.append_only import PACKETS_TABLE, create_guard, drop_guard
from models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision: str = "5b7d9f1a3c24"
down_revision: str | Sequence[str] | None = "3c1a9e7b5d20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Decisions made before this revision have no packet (their events name none)."""
    op.create_table(
        PACKETS_TABLE,
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("made_at", UTCDateTime(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"]),
        sa.PrimaryKeyConstraint("case_id", "sha256"),
    )
    for statement in create_guard(op.get_bind().dialect.name, PACKETS_TABLE):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_guard(op.get_bind().dialect.name, PACKETS_TABLE):
        op.execute(statement)
    op.drop_table(PACKETS_TABLE)
