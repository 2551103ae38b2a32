"""Money and goods that left the platform: one row per business key, so each moves exactly once."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from models.types import EnumText, UTCDateTime, utcnow


class LedgerKind(StrEnum):
    REFUND = "refund"
    COUPON = "coupon"


class LedgerStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"


class LedgerEntry(SQLModel, table=True):
    __tablename__ = "ledger_entries"

    id: int | None = Field(default=None, primary_key=True)
    business_key: str = Field(unique=True, max_length=120)  # e.g. case-<id>:refund:1
    case_id: str = Field(foreign_key="cases.case_id", index=True, max_length=40)
    order_id: str = Field(index=True, max_length=64)
    kind: LedgerKind = Field(sa_type=EnumText(LedgerKind))
    amount_cents: int
    status: LedgerStatus = Field(default=LedgerStatus.PENDING, sa_type=EnumText(LedgerStatus))
    external_ref: str | None = Field(default=None, max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
