"""The append-only, hash-chained timeline of a case (product.md §8)."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
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


class Finding(StrEnum):
    """What `/verify` found wrong, or why it cannot vouch for the chain."""

    CHANGED = "changed"  # an event's content no longer gives its hash
    DELETED_OR_REORDERED = "deleted_or_reordered"  # a link from an event to the one before does not hold
    TRUNCATED = "truncated"  # fewer events than a witness (or the head on the case) counts
    REWRITTEN = "rewritten"  # other hashes than a witness recorded
    APPENDED = "appended"  # more events than the newest signed checkpoint (or the head on the case) covers
    FORGED_CHECKPOINT = "forged_checkpoint"  # a checkpoint whose signature does not verify under its key
    UNWITNESSED = "unwitnessed"  # nothing outside the database vouches for (part of) the chain


REASONS = {
    Finding.CHANGED: "changed",
    Finding.DELETED_OR_REORDERED: "deleted or reordered",
    Finding.TRUNCATED: "truncated",
    Finding.REWRITTEN: "rewritten",
    Finding.APPENDED: "appended",
    Finding.FORGED_CHECKPOINT: "forged checkpoint",
}


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


@dataclass(frozen=True)
class TimelineCheck:
    """`valid`: True when the chain holds and a witness out of the database's reach vouches for every event; False
    when it does not hold (`finding`, from `broken_at`); None when it holds together but nothing vouches for it (or
    for its tail from `broken_at`): unverified, never valid."""

    valid: bool | None
    events: int
    finding: Finding | None = None
    broken_at: int | None = None
    reason: str | None = None

    @classmethod
    def broken(cls, events: int, finding: Finding, at: int | None) -> "TimelineCheck":
        return cls(False, events, finding, at, REASONS[finding])


@dataclass(frozen=True)
class Seal:
    """What a checkpoint whose signature verifies vouches for: the chain's first `events` events end in `head_hash`."""

    events: int
    head_hash: str


def check_timeline(
    events: list[CaseEvent],
    head_hash: str,
    event_count: int,
    anchor: Sequence[str] | None,
    seals: Sequence[Seal],
    forged: Sequence[int] = (),
) -> TimelineCheck:
    """The chain from genesis against its witnesses: `seals`, the checkpoints whose signatures verify (oldest first;
    the newest must cover exactly the stored chain, since every append stores one), and `anchor`, each event's hash
    as the case's workflow recorded it (None: out of reach). `forged`: the event counts checkpoints claim under a
    signature that fails — never trusted, and themselves a finding. The head on the case is checked last; it is the
    database's own word, no witness."""
    n = len(events)
    prev = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq or event.prev_hash != prev:
            return TimelineCheck.broken(n, Finding.DELETED_OR_REORDERED, expected_seq)
        if event_hash(event) != event.hash:
            return TimelineCheck.broken(n, Finding.CHANGED, expected_seq)
        prev = event.hash
    if anchor is not None:
        for seq, (event, anchored) in enumerate(zip(events, anchor, strict=False), start=1):
            if event.hash != anchored:
                return TimelineCheck.broken(n, Finding.REWRITTEN, seq)
        if n < len(anchor):
            return TimelineCheck.broken(n, Finding.TRUNCATED, n + 1)
    newest = seals[-1] if seals else None
    if newest is not None:
        if n < newest.events:
            return TimelineCheck.broken(n, Finding.TRUNCATED, n + 1)
        if newest.events and events[newest.events - 1].hash != newest.head_hash:
            held = [s.events for s in seals if s.events <= n and events[s.events - 1].hash == s.head_hash]
            return TimelineCheck.broken(n, Finding.REWRITTEN, max(held, default=0) + 1)
        if n > newest.events:
            return TimelineCheck.broken(n, Finding.APPENDED, newest.events + 1)
    if forged:
        return TimelineCheck.broken(n, Finding.FORGED_CHECKPOINT, None)
    if n > event_count:
        return TimelineCheck.broken(n, Finding.APPENDED, event_count + 1)
    if n < event_count or prev != (head_hash or GENESIS):
        return TimelineCheck.broken(n, Finding.TRUNCATED, n + 1)
    witnessed = max(newest.events if newest else 0, len(anchor) if anchor is not None else 0)
    if newest is None and anchor is None:
        reason = "unverified: no signed checkpoint, and Temporal's record of the case is out of reach"
        return TimelineCheck(None, n, Finding.UNWITNESSED, None, reason)
    if n > witnessed:
        reason = f"unverified from event {witnessed + 1}: no signed checkpoint, not in Temporal's record of the case"
        return TimelineCheck(None, n, Finding.UNWITNESSED, witnessed + 1, reason)
    return TimelineCheck(True, n)
