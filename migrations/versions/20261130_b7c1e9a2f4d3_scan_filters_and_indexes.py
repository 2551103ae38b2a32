"""scan filters and indexes: an order's pending shipment, a parcel's last tracking event, the stall that had its case

Revision ID: b7c1e9a2f4d3
Revises: ad4208e7d195
Create Date: 2026-11-30 13:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision: str = "b7c1e9a2f4d3"
down_revision: str | Sequence[str] | None = "ad4208e7d195"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """The exception scan filters in SQL and pages by the columns it filters on: orders still waiting for their
    shipment by ship-by, unfinished outbound parcels by their last tracking event. Existing rows are filled in."""
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shipment_pending", sa.Boolean(), server_default="1", nullable=False))
        batch_op.create_index("ix_orders_missed_scan", ["shipment_pending", "ship_by", "order_id"], unique=False)

    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_event_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("tracking_final", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("stall_handled_at", UTCDateTime(), nullable=True))
        batch_op.create_index(
            "ix_shipments_stall_scan", ["direction", "tracking_final", "last_event_at", "id"], unique=False
        )

    op.execute(
        "UPDATE orders SET shipment_pending = (NOT EXISTS (SELECT 1 FROM shipments s "
        "WHERE s.order_id = orders.order_id AND s.direction = 'outbound'))"
    )
    op.execute(
        "UPDATE shipments SET last_event_at = (SELECT max(t.at) FROM tracking_events t "
        "WHERE t.tracking_no = shipments.tracking_no), tracking_final = EXISTS (SELECT 1 FROM tracking_events t "
        "WHERE t.tracking_no = shipments.tracking_no AND t.status IN ('delivered', 'returned'))"
    )


def downgrade() -> None:
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index("ix_shipments_stall_scan")
        batch_op.drop_column("stall_handled_at")
        batch_op.drop_column("tracking_final")
        batch_op.drop_column("last_event_at")

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_missed_scan")
        batch_op.drop_column("shipment_pending")
