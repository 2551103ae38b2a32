"""Money and goods that left the platform: one row per business key, so each moves exactly once.

Rows are only ever inserted; a `pending` row settles once, to `succeeded` or `failed`, and nothing else about a row
ever changes — the database refuses it (`models/ledger_guard.py`)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from models.types import EnumText, UTCDateTime, utcnow


class LedgerKind(StrEnum):
    REFUND = "refund"
    COUPON = "coupon"
    COMPENSATION = "compensation"
    REVERSAL = "reversal"  # a refund taken back by an agent's override: gives the order's refundable amount back


COUNTS_AGAINST_PAID = frozenset({LedgerKind.REFUND})  # coupons and compensation are not the buyer's payment
NOT_AGAINST_PAID = frozenset({LedgerKind.COUPON, LedgerKind.COMPENSATION})


class LedgerStatus(StrEnum):
    PENDING = "pending"  # claimed, the provider not yet confirmed: counts as spent
    SUCCEEDED = "succeeded"
    REFUSED = "refused"  # the ledger had nothing left for it: no money moved
    FAILED = "failed"  # the provider refused it for good: no money moved


HOLDS_MONEY = frozenset({LedgerStatus.PENDING, LedgerStatus.SUCCEEDED})


class LedgerEntry(SQLModel, table=True):
    __tablename__ = "ledger_entries"

    id: int | None = Field(default=None, primary_key=True)
    business_key: str = Field(unique=True, max_length=120)  # e.g. case-<id>:refund:1
    case_id: str = Field(foreign_key="cases.case_id", index=True, max_length=40)
    order_id: str = Field(index=True, max_length=64)
    kind: LedgerKind = Field(sa_type=EnumText(LedgerKind))
    amount_cents: int  # what moves (or moved); 0 when refused
    # What the decision asked: more than `amount_cents` when the ledger capped it.
    asked_cents: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    lines: dict[str, int] | None = Field(default=None, sa_column=Column(JSON))  # sku → cents, when a case names items
    # Why it was capped, refused or failed.
    note: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})
    status: LedgerStatus = Field(default=LedgerStatus.PENDING, sa_type=EnumText(LedgerStatus), index=True)
    external_ref: str | None = Field(default=None, max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
