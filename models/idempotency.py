"""Stored first responses of POSTs sent with an Idempotency-Key."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import EnumText, UTCDateTime, utcnow


class KeyState(StrEnum):
    IN_FLIGHT = "in_flight"
    DONE = "done"


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=200)  # caller + method + path
    key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    state: KeyState = Field(default=KeyState.IN_FLIGHT, sa_type=EnumText(KeyState))
    status_code: int | None = None
    response_body: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
