"""case shipments: direction and case_id

Revision ID: 69945acd11f0
Revises: f8ba7794370e
Create Date: 2026-11-24 10:11:27.633456

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "69945acd11f0"
down_revision: str | Sequence[str] | None = "f8ba7794370e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


FOREIGN_KEY = "fk_shipments_case_id_cases"


def upgrade() -> None:
    """A shipment is the order's own (`outbound`) or a case's return or replacement parcel (`case_id`)."""
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("direction", sa.String(length=32), server_default="outbound", nullable=False))
        batch_op.add_column(sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.create_index(batch_op.f("ix_shipments_case_id"), ["case_id"], unique=False)
        batch_op.create_foreign_key(FOREIGN_KEY, "cases", ["case_id"], ["case_id"])


def downgrade() -> None:
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_constraint(FOREIGN_KEY, type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_shipments_case_id"))
        batch_op.drop_column("case_id")
        batch_op.drop_column("direction")
