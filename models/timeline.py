"""The append-only, hash-chained timeline of a case (product.md §8)."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime

GENESIS = "0" * 64


class CaseEvent(SQLModel, table=True):
    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="cases.case_id", index=True, max_length=40)
    seq: int
    type: str = Field(max_length=40)
    actor_role: str = Field(max_length=16)
    actor_id: str = Field(max_length=64)
    at: datetime = Field(sa_type=UTCDateTime)
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


def canonical(
    case_id: str, seq: int, type: str, actor_role: str, actor_id: str, at: datetime, data: dict[str, Any]
) -> bytes:
    body = {
        "case_id": case_id,
        "seq": seq,
        "type": type,
        "actor": {"role": actor_role, "id": actor_id},
        "at": at.isoformat(timespec="microseconds"),
        "data": data,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, event_bytes: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + event_bytes).hexdigest()


def event_hash(event: CaseEvent) -> str:
    body = canonical(event.case_id, event.seq, event.type, event.actor_role, event.actor_id, event.at, event.data)
    return chain_hash(event.prev_hash, body)


@dataclass(frozen=True)
class ChainReport:
    valid: bool
    events: int
    broken_at: int | None = None
    reason: str | None = None  # changed, deleted or reordered, truncated, rewritten


def verify_chain(
    events: list[CaseEvent], head_hash: str, event_count: int, anchor: Sequence[str] | None = None
) -> ChainReport:
    """Walk the chain from genesis; the first seq whose link or content does not hold is where it breaks.

    The head kept on the case catches a dropped tail, which the links alone cannot show. `anchor` — each event's
    hash as the case's workflow recorded it, out of the database's reach — catches what a rewrite of the database
    hides: a tail dropped together with the head on the case, or a whole chain recomputed and re-anchored.
    """
    prev = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq or event.prev_hash != prev:
            return ChainReport(False, len(events), expected_seq, "deleted or reordered")
        if event_hash(event) != event.hash:
            return ChainReport(False, len(events), expected_seq, "changed")
        prev = event.hash
    if anchor is not None:
        for seq, (event, anchored) in enumerate(zip(events, anchor, strict=False), start=1):
            if event.hash != anchored:
                return ChainReport(False, len(events), seq, "rewritten")
        if len(events) < len(anchor):
            return ChainReport(False, len(events), len(events) + 1, "truncated")
    if len(events) != event_count or prev != (head_hash or GENESIS):
        return ChainReport(False, len(events), len(events) + 1, "truncated")
    return ChainReport(valid=True, events=len(events))
