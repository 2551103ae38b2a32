"""A case's decisions, each with the packet anyone can re-check (`python -m rulebook.recheck`).

Every `decision_made` (the platform's rules, a merchant's answer or `resolve`, an accepted proposal, an agent's
ruling) and `decision_overridden` of the case's timeline, in order, with the packet stored beside it
(`models/decision_packet.py`): the facts as the rule book saw them, the settings in force, the rule book's version
and the decision. The packet's SHA-256 is the one the event carries on the hash chain. Decisions made before packets
existed have none (`packet` and `packet_sha256` null).

The parties and the agents see the packets whole: a packet holds none of what `api/minimise.py` keeps from a party
(no shipping address, no phone), only what the case's timeline and facts already show them, and a packet changed
for a viewer could no longer be re-checked against its hash.
"""

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlmodel import col, select

from api.deps import PartyDep, SessionDep, VisibleCaseDep
from models.decision_packet import DecisionPacketRow
from models.timeline import CaseEvent

router = APIRouter(prefix="/cases/{case_id}", tags=["decisions"])

DECISION_EVENTS = ("decision_made", "decision_overridden")


class DecisionRecord(BaseModel):
    seq: int
    type: str  # decision_made or decision_overridden
    at: datetime
    by: str  # the role that decided: system (the platform's rules), merchant, buyer (an accepted proposal), agent
    actor_id: str
    outcome: str
    amount_cents: int
    rules: list[str]
    packet: dict[str, Any] | None
    packet_sha256: str | None


class Decisions(BaseModel):
    items: list[DecisionRecord]


@router.get("/decisions")
async def get_decisions(_caller: PartyDep, case: VisibleCaseDep, session: SessionDep) -> Decisions:
    """The case's decisions in timeline order, each with its decision packet (an item saved as a file is what
    `python -m rulebook.recheck` takes)."""
    events = await session.exec(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.case_id, col(CaseEvent.type).in_(DECISION_EVENTS))
        .order_by(col(CaseEvent.seq))
    )
    rows = await session.exec(select(DecisionPacketRow).where(DecisionPacketRow.case_id == case.case_id))
    stored = {row.sha256: row for row in rows.all()}
    items: list[DecisionRecord] = []
    for event in events.all():
        sha = event.data.get("packet_sha256")
        row = stored.get(sha) if isinstance(sha, str) else None
        items.append(
            DecisionRecord(
                seq=event.seq,
                type=event.type,
                at=event.at,
                by=event.actor_role,
                actor_id=event.actor_id,
                outcome=str(event.data.get("outcome")),
                amount_cents=int(event.data.get("amount_cents") or 0),
                rules=[str(rule) for rule in event.data.get("rules") or ()],
                packet=row.packet() if row is not None else None,
                packet_sha256=sha if isinstance(sha, str) else None,
            )
        )
    return Decisions(items=items)
