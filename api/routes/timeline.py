"""A case's append-only timeline, and the check of its hash chain against the head kept on the case."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.case_workflow import chain_anchor
from api.deps import SessionDep, TemporalDep, VisibleCaseDep
from models.timeline import CaseEvent, verify_chain

router = APIRouter(prefix="/cases/{case_id}", tags=["timeline"])


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


class ChainCheck(BaseModel):
    valid: bool
    events: int
    broken_at: int | None = None  # the first seq that does not hold; absent when valid
    reason: str | None = None  # changed, deleted or reordered, truncated, rewritten; absent when valid
    anchored: bool = Field(
        description="whether the chain was also checked against the anchor in Temporal's record of the case"
    )


@router.get("/timeline")
async def get_timeline(case: VisibleCaseDep, session: SessionDep) -> Timeline:
    """Every event of the case in order, each with the hash that chains it to the one before."""
    return Timeline(items=[EventPublic.of(e) for e in await _events(session, case.case_id)])


@router.get("/verify", response_model_exclude_none=True)
async def verify(case: VisibleCaseDep, session: SessionDep, client: TemporalDep) -> ChainCheck:
    """Recomputes the chain from genesis and checks it against the anchor the case's workflow keeps in Temporal;
    `broken_at` and `reason` name where a changed, removed, reordered, truncated or rewritten event shows."""
    anchor = await chain_anchor(client, case)
    hashes = anchor.hashes if anchor is not None and anchor.complete else None
    report = verify_chain(await _events(session, case.case_id), case.head_hash, case.event_count, hashes)
    return ChainCheck(
        valid=report.valid,
        events=report.events,
        broken_at=report.broken_at,
        reason=report.reason,
        anchored=hashes is not None,
    )


async def _events(session: AsyncSession, case_id: str) -> list[CaseEvent]:
    rows = await session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(col(CaseEvent.seq)))
    return list(rows.all())
