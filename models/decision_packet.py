"""A decision's packet (rulebook/packets.py), stored write-once beside the decision's timeline event.

The body is kept as the canonical bytes the packet's SHA-256 is taken of (`rulebook.packets.canonical`), not as a
JSON column a database could re-serialise; the decision's event carries the SHA-256 (`packet_sha256`), so the hash
chain covers the packet. Like `case_events`, the table is append-only (triggers, `models/append_only.py`), and the
service role may only read and insert it (`models/privileges.py`).
"""

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime


class DecisionPacketRow(SQLModel, table=True):
    __tablename__ = "decision_packets"

    case_id: str = Field(foreign_key="cases.case_id", primary_key=True, max_length=40)
    sha256: str = Field(primary_key=True, max_length=64)
    seq: int  # the seq of the event that carries it (decision_made, decision_overridden)
    event_type: str = Field(max_length=40)
    made_at: datetime = Field(sa_type=UTCDateTime)
    body: str = Field(sa_type=Text)  # the canonical JSON, UTF-8

    def packet(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.body)
        return loaded
