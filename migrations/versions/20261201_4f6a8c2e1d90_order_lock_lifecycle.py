"""an oversold order's lock lifecycle: the line it is locked on, its unlock, its cancellation

Revision ID: 4f6a8c2e1d90
Revises: d9e8f7a6b5c4
Create Date: 2026-12-01 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision: str = "4f6a8c2e1d90"
down_revision: str | Sequence[str] | None = "d9e8f7a6b5c4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Orders locked before this revision keep `locked_sku` empty: any of their lines' restock may unlock them."""
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_sku", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column("unlocked_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("unlocked_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column("cancelled_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("unlocked_by")
        batch_op.drop_column("unlocked_at")
        batch_op.drop_column("locked_sku")
