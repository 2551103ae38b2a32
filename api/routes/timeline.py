"""A case's append-only timeline, and the check of its hash chain against its witnesses: the newest signed
checkpoint, and the anchor in Temporal's record of the case while it exists."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.case_workflow import chain_anchor
from api.deps import SessionDep, SettingsDep, TemporalDep, VisibleCaseDep, release_connection
from models.case import Case
from models.checkpoint import CaseCheckpoint, CheckpointKeys, Witnessed, sort_checkpoints
from models.timeline import CaseEvent, Finding, Seal, check_timeline

router = APIRouter(prefix="/cases/{case_id}", tags=["timeline"])
READS = 3  # a step stored between reading the events and the checkpoints is read again, at most this often


class Actor(BaseModel):
    role: str
    id: str


class EventPublic(BaseModel):
    seq: int
    type: str
    actor: Actor
    at: datetime
    data: dict[str, Any]
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, event: CaseEvent) -> "EventPublic":
        actor = Actor(role=event.actor_role, id=event.actor_id)
        fields = event.model_dump(include={"seq", "type", "at", "data", "prev_hash", "hash"})
        return cls(actor=actor, **fields)


class Timeline(BaseModel):
    items: list[EventPublic]


class CheckpointPublic(BaseModel):
    events: int = Field(description="how many events the checkpoint covers")
    at: datetime = Field(description="when it was signed")
    kid: str = Field(description="the name of the key that signed it")


class ChainCheck(BaseModel):
    valid: bool | None = Field(
        description="true: the chain holds and a witness out of the database's reach (a signed checkpoint, or "
        "Temporal's record of the case) vouches for every event; false: it does not hold (`finding`); null: it "
        "holds together but nothing vouches for it (`reason`) — unverified, never valid"
    )
    events: int
    broken_at: int | None = None  # the first seq that does not hold, or that nothing vouches for
    finding: Finding | None = None
    # changed, deleted or reordered, truncated, rewritten, appended, forged checkpoint; or why it is unverified
    reason: str | None = None
    anchored: bool = Field(
        description="whether the chain was also checked against the anchor in Temporal's record of the case"
    )
    checkpoint: CheckpointPublic | None = Field(
        default=None, description="the newest checkpoint whose signature verifies, which the chain was checked against"
    )
    forged_checkpoints: list[int] | None = Field(
        default=None, description="the event counts claimed by checkpoints whose signature does not verify"
    )


@router.get("/timeline")
async def get_timeline(case: VisibleCaseDep, session: SessionDep) -> Timeline:
    """Every event of the case in order, each with the hash that chains it to the one before."""
    return Timeline(items=[EventPublic.of(e) for e in await _events(session, case.case_id)])


@router.get("/verify", response_model_exclude_unset=True)
async def verify(case: VisibleCaseDep, session: SessionDep, client: TemporalDep, settings: SettingsDep) -> ChainCheck:
    """Recomputes the chain from genesis and checks it against the newest checkpoint whose signature verifies and
    against the anchor the case's workflow keeps in Temporal while it exists: `finding` and `broken_at` say where
    a changed, removed, reordered, truncated, rewritten or appended event shows. Without any witness the chain is
    unverified (`valid: null`), never valid."""
    await release_connection(session)  # the anchor may take seconds: no connection held meanwhile
    anchor = await chain_anchor(client, case)
    hashes = anchor.hashes if anchor is not None and anchor.complete else None
    # Read after the anchor: every event the workflow knows is stored by then.
    chain = await _chain(session, case.case_id, settings.checkpoint_keyring())
    await release_connection(session)
    witnessed = chain.witnessed
    seals = [Seal(c.event_count, c.head_hash) for c in witnessed.valid]
    forged = sorted(c.event_count for c in witnessed.forged)
    report = check_timeline(chain.events, chain.head_hash, chain.event_count, hashes, seals, forged)
    fields: dict[str, Any] = {
        "broken_at": report.broken_at,
        "finding": report.finding,
        "reason": report.reason,
        "forged_checkpoints": forged or None,
    }
    newest = witnessed.newest
    if newest is not None:
        fields["checkpoint"] = CheckpointPublic(events=newest.event_count, at=newest.at, kid=newest.kid)
    present = {name: value for name, value in fields.items() if value is not None}
    return ChainCheck(valid=report.valid, events=report.events, anchored=hashes is not None, **present)


@dataclass(frozen=True)
class Chain:
    events: list[CaseEvent]
    witnessed: Witnessed
    head_hash: str  # the head kept on the case
    event_count: int


async def _chain(session: AsyncSession, case_id: str, keys: CheckpointKeys) -> Chain:
    """The events, the checkpoints and the head on the case as of one moment: each read after the one before, a
    step stored in between (its checkpoint or head read, its events not) is read again rather than taken for a
    truncation."""
    for _ in range(READS):
        events = await _events(session, case_id)
        rows = await session.exec(select(CaseCheckpoint).where(CaseCheckpoint.case_id == case_id))
        witnessed = sort_checkpoints(keys, rows.all())
        head = (await session.exec(select(Case.head_hash, Case.event_count).where(Case.case_id == case_id))).one()
        covered = witnessed.newest.event_count if witnessed.newest else 0
        if max(covered, head[1]) <= len(events):
            break
    return Chain(events, witnessed, head[0], head[1])


async def _events(session: AsyncSession, case_id: str) -> list[CaseEvent]:
    rows = await session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(col(CaseEvent.seq)))
    return list(rows.all())
