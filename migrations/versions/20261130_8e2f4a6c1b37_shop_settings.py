"""shop settings: a shop's default return address

Revision ID: 8e2f4a6c1b37
Revises: 5b7c1e9a2d40
Create Date: 2026-11-30 13:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.types

revision: str = "8e2f4a6c1b37"
down_revision: str | Sequence[str] | None = "5b7c1e9a2d40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Where a shop's returns go when the merchant approves one without naming an address."""
    op.create_table(
        "shop_settings",
        sa.Column("shop_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("return_address", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("updated_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("shop_id"),
    )


def downgrade() -> None:
    op.drop_table("shop_settings")
