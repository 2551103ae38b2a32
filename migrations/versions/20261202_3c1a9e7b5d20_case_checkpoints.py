"""signed checkpoints of a case's timeline, append-only

Revision ID: 3c1a9e7b5d20
Revises: 4f6a8c2e1d90
Create Date: 2026-12-02 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from models.append_only import CHECKPOINTS_TABLE, create_guard, drop_guard
from models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision: str = "3c1a9e7b5d20"
down_revision: str | Sequence[str] | None = "4f6a8c2e1d90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Cases whose events were stored before this revision have no checkpoint until their next step: `/verify`
    vouches for them by Temporal's record of the case alone while it exists, and calls them unverified after."""
    op.create_table(
        CHECKPOINTS_TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("head_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("kid", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("signature", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table(CHECKPOINTS_TABLE, schema=None) as batch_op:
        batch_op.create_index("ix_case_checkpoints_case_id_event_count", ["case_id", "event_count"], unique=False)
    for statement in create_guard(op.get_bind().dialect.name, CHECKPOINTS_TABLE):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_guard(op.get_bind().dialect.name, CHECKPOINTS_TABLE):
        op.execute(statement)
    with op.batch_alter_table(CHECKPOINTS_TABLE, schema=None) as batch_op:
        batch_op.drop_index("ix_case_checkpoints_case_id_event_count")
    op.drop_table(CHECKPOINTS_TABLE)
