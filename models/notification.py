"""Progress messages to the parties, one per (event, recipient), in Chinese and English."""

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime

TEXT_MAX = 500  # a message longer than this is cut, so storing it can never fail


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("case_id", "event_seq", "recipient_role"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="cases.case_id", index=True, max_length=40)
    event_seq: int
    recipient_role: str = Field(max_length=16)
    recipient_id: str = Field(index=True, max_length=64)  # buyer id, shop id, or "*" for every agent
    text_zh: str = Field(max_length=TEXT_MAX)
    text_en: str = Field(max_length=TEXT_MAX)
    created_at: datetime = Field(sa_type=UTCDateTime)
