"""The case projection: what the workflow last stored, read by the API."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from models.types import EnumText, UTCDateTime, utcnow
from rulebook.enums import CaseKind, CaseStatus, Party


def open_key(order_id: str, kind: CaseKind) -> str:
    """Held unique while a case is open: one open case per order and kind."""
    return f"{order_id}:{kind}"


class Case(SQLModel, table=True):
    __tablename__ = "cases"

    case_id: str = Field(primary_key=True, max_length=40)
    kind: CaseKind = Field(sa_type=EnumText(CaseKind))
    status: CaseStatus = Field(sa_type=EnumText(CaseStatus), index=True)
    order_id: str = Field(foreign_key="orders.order_id", index=True, max_length=64)
    buyer_id: str = Field(index=True, max_length=64)
    shop_id: str = Field(index=True, max_length=64)
    amount_cents: int
    items: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))  # [{sku, quantity}] named
    reason: str = Field(max_length=64)
    description: str = Field(default="", max_length=2000)
    urgent: bool = False
    awaiting: Party | None = Field(default=None, sa_type=EnumText(Party), index=True)
    deadline: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    decision: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    proposal: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    open_key: str | None = Field(default=None, unique=True, max_length=140)
    workflow_id: str = Field(max_length=48)
    event_count: int = 0
    head_hash: str = Field(default="", max_length=64)  # the chain's anchor, kept apart from the events
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
