"""remedy calls: fulfilment and courier calls, one row per business key

Revision ID: 5b7c1e9a2d40
Revises: ad4208e7d195
Create Date: 2026-11-30 13:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.types

revision: str = "5b7c1e9a2d40"
down_revision: str | Sequence[str] | None = "ad4208e7d195"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Every reshipment, cancellation, interception and courier ticket of a case, exactly once per business key."""
    op.create_table(
        "remedy_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("external_ref", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("business_key"),
    )
    op.create_index(op.f("ix_remedy_calls_case_id"), "remedy_calls", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_remedy_calls_case_id"), table_name="remedy_calls")
    op.drop_table("remedy_calls")
