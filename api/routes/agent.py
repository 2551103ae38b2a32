"""The support agent's desk over HTTP: the queue (cases awaiting an agent, urgent first, then the soonest deadline),
overriding the platform's own decision within its window, and handing a case to another agent (docs/api.md)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field
from sqlmodel import select

from api import cursor
from api.auth import Caller
from api.case_workflow import send_agent_command
from api.deps import SessionDep, SettingsDep, TemporalDep, VisibleCaseDep, release_connection, role_in
from api.errors import Unprocessable, documented
from api.idempotency import IDEMPOTENT, IdempotentRoute
from api.schemas.actions import Text
from api.schemas.cases import CasePage, CasePublic
from api.schemas.orders import Cents, Strict
from models.case import Case
from rulebook import override as overriding
from rulebook.enums import Outcome, Party, Role
from workflows import agent_desk
from workflows.case import CaseWorkflow

router = APIRouter(prefix="/agent", tags=["agent"], route_class=IdempotentRoute)

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


class OverrideBody(Strict):
    outcome: Literal[Outcome.REFUND, Outcome.PARTIAL_REFUND, Outcome.COUPON, Outcome.REJECT]
    amount_cents: Cents | None = Field(
        default=None,
        description=(
            "fen; required for partial_refund and coupon. A coupon is at most AFTERSALES_COUPON_MAX for one case "
            "(default 20 000) and the order's coupons at most what it paid; a refund at most what the order has left "
            "(422 `invalid_amount`). Only the difference from what the case already moved is paid or reversed."
        ),
    )
    rationale: Text


class ReassignBody(Strict):
    to_agent_id: Annotated[str, Field(min_length=1, max_length=64)]
    reason: Text


@router.post("/cases/{case_id}/override", dependencies=IDEMPOTENT, responses=documented(503))
async def override(
    body: OverrideBody,
    agent: AgentDep,
    case: VisibleCaseDep,
    session: SessionDep,
    client: TemporalDep,
    settings: SettingsDep,
) -> CasePublic:
    """Overrides the platform's own decision (R-TIMEOUT, a rule decided at once) within `AFTERSALES_OVERRIDE_WINDOW`
    after it closed the case, with a rationale. Money already moved stays on the ledger and only the difference
    moves (`rulebook/settlement.py`): a smaller refund reverses the difference, a larger one refunds it, `reject`
    reverses every refund of the case, `coupon` issues what the case has not issued yet. 422 `invalid_amount` for a
    coupon over AFTERSALES_COUPON_MAX; 409 `invalid_state` outside the window, for a case a person decided, or once
    overridden."""
    if body.outcome in (Outcome.PARTIAL_REFUND, Outcome.COUPON) and body.amount_cents is None:
        raise Unprocessable(f"amount_cents is required for {body.outcome}", code="invalid_request")
    try:
        overriding.check_amount(body.outcome, body.amount_cents, settings.coupon_max)
    except overriding.OverrideRefused as refused:
        raise Unprocessable(refused.message, code=refused.code) from None
    ruling = agent_desk.Override(agent.id, body.outcome, body.rationale, body.amount_cents)
    await release_connection(session)
    await send_agent_command(client, case, CaseWorkflow.override, ruling, "override")
    await session.refresh(case)
    return CasePublic.of(case)


@router.post("/cases/{case_id}/reassign", dependencies=IDEMPOTENT, responses=documented(503))
async def reassign(
    body: ReassignBody, agent: AgentDep, case: VisibleCaseDep, session: SessionDep, client: TemporalDep
) -> CasePublic:
    """Hands an open case to another agent: a `reassigned` event, and the `AssignedAgent` column in the Temporal UI."""
    handover = agent_desk.Reassignment(agent.id, body.to_agent_id, body.reason)
    await release_connection(session)
    await send_agent_command(client, case, CaseWorkflow.reassign, handover, "reassign")
    await session.refresh(case)
    return CasePublic.of(case)
