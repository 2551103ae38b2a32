"""Stock per SKU and warehouse, as the inventory feed last said (`PUT /inventory/{sku}` replaces a SKU's rows)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, func
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.types import UTCDateTime, utcnow


class StockLevel(SQLModel, table=True):
    __tablename__ = "stock_levels"

    sku: str = Field(primary_key=True, max_length=64)
    warehouse_id: str = Field(primary_key=True, max_length=64)
    available: int
    location: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # {province, city, district?}
    lat: float | None = None
    lng: float | None = None
    # Bumped by every oversold check of the SKU: the write that serialises two checks of one SKU.
    check_seq: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def lock_stock(session: AsyncSession, sku: str) -> None:
    """Serialises the replacements of one SKU's stock until the transaction ends, so concurrent PUTs of it never both
    insert its rows. PostgreSQL takes an advisory lock (a SKU seen for the first time has no row to lock yet);
    SQLite lets one writer in at a time anyway."""
    if session.get_bind().dialect.name == "postgresql":
        await session.exec(select(func.pg_advisory_xact_lock(func.hashtextextended(f"stock:{sku}", 0))))
