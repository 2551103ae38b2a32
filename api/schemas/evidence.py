"""An evidence item as the API shows it, and a case's list of them."""

from datetime import datetime

from pydantic import BaseModel

from models.evidence import Evidence
from rulebook.enums import EvidenceKind


class Uploader(BaseModel):
    role: str
    id: str


class EvidencePublic(BaseModel):
    evidence_id: str
    case_id: str
    kind: EvidenceKind
    sha256: str
    size_bytes: int
    media_type: str  # sniffed from the bytes
    note: str
    original_name: str  # as the client sent it, control characters removed; metadata only
    uploaded_by: Uploader
    created_at: datetime

    @classmethod
    def of(cls, evidence: Evidence) -> "EvidencePublic":
        fields = evidence.model_dump(exclude={"storage_key", "uploaded_by_role", "uploaded_by_id"})
        return cls(uploaded_by=Uploader(role=evidence.uploaded_by_role, id=evidence.uploaded_by_id), **fields)


class EvidenceList(BaseModel):
    items: list[EvidencePublic]
