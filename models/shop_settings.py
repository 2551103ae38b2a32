"""A shop's own settings for after-sales: where its returns go by default."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.types import UTCDateTime, utcnow


class ShopSettings(SQLModel, table=True):
    __tablename__ = "shop_settings"

    shop_id: str = Field(primary_key=True, max_length=64)
    # Used when a merchant approves a return or an exchange without naming an address.
    return_address: str | None = Field(default=None, max_length=500)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
