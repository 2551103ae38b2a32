"""Goods and parcels moved for a case (reshipments, cancellations, interceptions, courier tickets): one row per
business key, so each call to the fulfilment service or the courier takes effect exactly once."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from models.types import EnumText, UTCDateTime, utcnow


class RemedyStatus(StrEnum):
    PENDING = "pending"  # claimed, the service not yet confirmed: a retry asks again with the same key
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # the service refused it for good


class RemedyCallRow(SQLModel, table=True):
    __tablename__ = "remedy_calls"

    id: int | None = Field(default=None, primary_key=True)
    business_key: str = Field(unique=True, max_length=120)  # e.g. case-<id>:reship:1
    case_id: str = Field(foreign_key="cases.case_id", index=True, max_length=40)
    action: str = Field(max_length=40)  # workflows.remedy_messages.RemedyAction
    request: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: RemedyStatus = Field(default=RemedyStatus.PENDING, sa_type=EnumText(RemedyStatus))
    external_ref: str | None = Field(default=None, max_length=120)
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
