"""Signed checkpoints of a case's timeline (product.md §8): the chain's head, signed where no database role can.

Every transaction that appends events to a case's chain also stores one checkpoint — `(case_id, event_count,
head_hash, at)` signed with HMAC-SHA256 under a key the API and the worker hold (`AFTERSALES_CHECKPOINT_KEYS`) and
the database never sees. Someone who can write the database can append, drop or recompute events and move the head
on the case row, but cannot sign the result: `/verify` compares the chain with the newest checkpoint whose signature
holds, so an appended, truncated or rewritten chain shows even once the case's workflow is gone.

Checkpoints are append-only like the events (`models/append_only.py`); the service role may only INSERT and SELECT
them (`models/privileges.py`).

Keys are named (`kid`) so they can be rotated: the first key of the setting signs, every key listed verifies. A
checkpoint signed with a key no longer listed is neither trusted nor called forged: it is unverifiable.
"""

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

import signing_keys
from models.types import UTCDateTime

# The fixed key of development (like settings.DEV_JWT_SECRET): documented, so never trusted outside development.
DEV_CHECKPOINT_KEYS = "dev:" + base64.b64encode(b"aftersales-dev-checkpoint-key-do-not-use-in-production").decode()
DOMAIN = b"aftersales/case-checkpoint/v1\n"


class CaseCheckpoint(SQLModel, table=True):
    __tablename__ = "case_checkpoints"
    __table_args__ = (Index("ix_case_checkpoints_case_id_event_count", "case_id", "event_count"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="cases.case_id", max_length=40)
    event_count: int
    head_hash: str = Field(max_length=64)
    at: datetime = Field(sa_type=UTCDateTime)
    kid: str = Field(max_length=32)
    signature: str = Field(max_length=64)  # hex HMAC-SHA256 of `signed_bytes`


def signed_bytes(kid: str, case_id: str, event_count: int, head_hash: str, at: datetime) -> bytes:
    """What a checkpoint's signature covers: every field but the signature, canonically."""
    body = {
        "kid": kid,
        "case_id": case_id,
        "event_count": event_count,
        "head_hash": head_hash,
        "at": at.isoformat(timespec="microseconds"),
    }
    return DOMAIN + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


class Signature(StrEnum):
    VALID = "valid"
    FORGED = "forged"  # signed with a listed key's name, but not with that key
    UNKNOWN_KEY = "unknown_key"  # a key not (or no longer) listed: cannot be checked


class InvalidCheckpointKeys(ValueError):
    pass


@dataclass(frozen=True)
class CheckpointKeys:
    """The keys by name; the first signs, all verify."""

    keys: tuple[tuple[str, bytes], ...]

    @classmethod
    def parse(cls, value: str) -> "CheckpointKeys":
        """`kid1:base64secret,kid0:base64secret` (`signing_keys.parse`)."""
        try:
            return cls(signing_keys.parse(value, "checkpoint key"))
        except signing_keys.InvalidKeys as error:
            raise InvalidCheckpointKeys(str(error)) from None

    @classmethod
    def development(cls) -> "CheckpointKeys":
        return cls.parse(DEV_CHECKPOINT_KEYS)

    @property
    def signing_kid(self) -> str:
        return self.keys[0][0]

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(kid for kid, _ in self.keys)

    def sign(self, case_id: str, event_count: int, head_hash: str, at: datetime) -> CaseCheckpoint:
        kid, secret = self.keys[0]
        message = signed_bytes(kid, case_id, event_count, head_hash, at)
        signature = hmac.new(secret, message, hashlib.sha256).hexdigest()
        return CaseCheckpoint(
            case_id=case_id, event_count=event_count, head_hash=head_hash, at=at, kid=kid, signature=signature
        )

    def check(self, checkpoint: CaseCheckpoint) -> Signature:
        secret = dict(self.keys).get(checkpoint.kid)
        if secret is None:
            return Signature.UNKNOWN_KEY
        message = signed_bytes(
            checkpoint.kid, checkpoint.case_id, checkpoint.event_count, checkpoint.head_hash, checkpoint.at
        )
        expected = hmac.new(secret, message, hashlib.sha256).hexdigest()
        return Signature.VALID if hmac.compare_digest(expected, checkpoint.signature) else Signature.FORGED


@dataclass(frozen=True)
class Witnessed:
    """The case's checkpoints sorted by what their signatures say: `valid` oldest first, `forged` ones apart."""

    valid: tuple[CaseCheckpoint, ...]
    forged: tuple[CaseCheckpoint, ...]

    @property
    def newest(self) -> CaseCheckpoint | None:
        return self.valid[-1] if self.valid else None


def sort_checkpoints(keys: CheckpointKeys, checkpoints: Iterable[CaseCheckpoint]) -> Witnessed:
    valid: list[CaseCheckpoint] = []
    forged: list[CaseCheckpoint] = []
    for checkpoint in checkpoints:
        verdict = keys.check(checkpoint)
        if verdict == Signature.VALID:
            valid.append(checkpoint)
        elif verdict == Signature.FORGED:
            forged.append(checkpoint)
    valid.sort(key=lambda c: (c.event_count, c.at))
    return Witnessed(tuple(valid), tuple(forged))
