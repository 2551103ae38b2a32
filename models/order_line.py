"""One row per item of an order: what the oversold check sums per SKU and the entry checks read as a buyer's
history (size per category)."""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.order import Order
from models.types import UTCDateTime, utcnow


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_lines"
    __table_args__ = (
        Index("ix_order_lines_sku", "sku", "order_id"),
        Index("ix_order_lines_buyer_category", "buyer_id", "category", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: str = Field(foreign_key="orders.order_id", max_length=64)
    buyer_id: str = Field(max_length=64)
    sku: str = Field(max_length=64)
    quantity: int
    category: str = Field(default="", max_length=64)
    size: str = Field(default="", max_length=64)  # the spec's size, as the buyer chose it
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def size_of(spec: object) -> str:
    """A spec is "XL" or {"size": "XL", "color": "白"}: its size, or "" when it names none."""
    if isinstance(spec, dict):
        for key in ("size", "尺码", "尺寸"):
            if spec.get(key):
                return str(spec[key])[:64]
        return ""
    return str(spec or "")[:64]


def order_lines(order: Order) -> list[OrderLine]:
    return [
        OrderLine(
            order_id=order.order_id,
            buyer_id=order.buyer_id,
            sku=str(item["sku"]),
            quantity=int(item["quantity"]),
            category=str(item.get("category", ""))[:64],
            size=size_of(item.get("spec", "")),
            created_at=order.created_at,
        )
        for item in order.items
    ]
