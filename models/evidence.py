"""Evidence files of a case, stored content-addressed by SHA-256 (product.md §8)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from models.types import EnumText, UTCDateTime, utcnow
from rulebook.enums import EvidenceKind


class Evidence(SQLModel, table=True):
    __tablename__ = "evidence"

    evidence_id: str = Field(primary_key=True, max_length=40)
    case_id: str = Field(foreign_key="cases.case_id", index=True, max_length=40)
    kind: EvidenceKind = Field(sa_type=EnumText(EvidenceKind))
    sha256: str = Field(index=True, max_length=64)
    size_bytes: int
    media_type: str = Field(max_length=100)  # sniffed from the bytes, never taken from the client
    storage_key: str = Field(max_length=200)
    original_name: str = Field(default="", max_length=255)  # metadata only; never part of a path
    note: str = Field(default="", max_length=1000)
    uploaded_by_role: str = Field(max_length=16)
    uploaded_by_id: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # System evidence (kind `system`): the content itself, whose canonical JSON `sha256` is; files have none.
    content: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
