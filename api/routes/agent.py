"""The support agent's queue: cases awaiting an agent, urgent first, then the soonest deadline (docs/api.md)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel import select

from api import cursor
from api.auth import Caller
from api.deps import SessionDep, role_in
from api.schemas.cases import CasePage, CasePublic
from models.case import Case
from rulebook.enums import Party, Role

router = APIRouter(prefix="/agent", tags=["agent"])

AgentDep = Annotated[Caller, Depends(role_in(Role.AGENT))]


@router.get("/queue")
async def agent_queue(
    _agent: AgentDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor_: Annotated[str | None, Query(alias="cursor", max_length=500)] = None,
) -> CasePage:
    """Cases waiting on an agent (`in_arbitration` and the goods' waits handed to support): urgent first, then
    the soonest deadline; pass `next_cursor` back as `cursor` for the next page. The Temporal UI's saved views
    show the same queue (README, "Working cases in the Temporal UI")."""
    statement = select(Case).where(Case.awaiting == Party.AGENT)
    if cursor_:
        statement = cursor.after(statement, cursor_)
    rows = list((await session.exec(cursor.ordered(statement).limit(limit + 1))).all())
    page = rows[:limit]
    next_cursor = cursor.encode(page[-1]) if len(rows) > limit else None
    return CasePage(items=[CasePublic.of(c) for c in page], next_cursor=next_cursor)
