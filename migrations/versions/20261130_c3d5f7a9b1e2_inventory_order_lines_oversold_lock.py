"""inventory, order lines, oversold lock, system evidence content

Revision ID: c3d5f7a9b1e2
Revises: b7c1e9a2f4d3
Create Date: 2026-11-30 14:00:00

"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from models.order_line import size_of
from models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision: str = "c3d5f7a9b1e2"
down_revision: str | Sequence[str] | None = "b7c1e9a2f4d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Stock per SKU and warehouse; one row per order item (oversold sums per SKU, entry checks read a buyer's
    sizes per category); an order's oversold lock."""
    op.create_table(
        "stock_levels",
        sa.Column("sku", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("warehouse_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("location", sa.JSON(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("check_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sku", "warehouse_id"),
    )
    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("buyer_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("sku", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("size", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.order_id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_order_lines_sku", "order_lines", ["sku", "order_id"], unique=False)
    op.create_index("ix_order_lines_buyer_category", "order_lines", ["buyer_id", "category", "created_at"])
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content", sa.JSON(), nullable=True))
    _fill_order_lines()


def _fill_order_lines() -> None:
    """The lines of the orders stored before this revision, from their items."""
    bind = op.get_bind()
    orders = bind.execute(sa.text("SELECT order_id, buyer_id, items, created_at FROM orders")).all()
    lines = [
        {
            "order_id": order_id,
            "buyer_id": buyer_id,
            "sku": str(item.get("sku", ""))[:64],
            "quantity": int(item.get("quantity", 1)),
            "category": str(item.get("category", ""))[:64],
            "size": size_of(item.get("spec", "")),
            "created_at": created_at,
        }
        for order_id, buyer_id, items, created_at in orders
        for item in (json.loads(items) if isinstance(items, str) else items) or []
    ]
    if lines:
        columns = "order_id, buyer_id, sku, quantity, category, size, created_at"
        values = ":order_id, :buyer_id, :sku, :quantity, :category, :size, :created_at"
        bind.execute(sa.text(f"INSERT INTO order_lines ({columns}) VALUES ({values})"), lines)


def downgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_column("content")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("locked_at")
    op.drop_index("ix_order_lines_buyer_category", table_name="order_lines")
    op.drop_index("ix_order_lines_sku", table_name="order_lines")
    op.drop_table("order_lines")
    op.drop_table("stock_levels")
