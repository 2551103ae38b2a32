"""Closes a case from outside its flow: the workflow's own cancellation, and the reconciliation of case rows whose
workflow ended without closing them. Each appends one event to the hash chain at the stored head (the recorder's
numbering, with its signed checkpoint), frees the order — an oversold order's lock lifts, or the order is cancelled
if refunded in full (`order_lock` in the event's data); a case already closed is left as it is, so retries are safe.

The reconciliation repairs toward what the timeline says, and never cancels a case because its workflow completed:
- a workflow terminated, cancelled or timed out: the case closes with the final status its timeline reached (its
  last `case_closed` or `withdrawn`, or an override carried out after it), else `cancelled`, freeing the order and
  telling both parties it was cancelled;
- a workflow that completed (or continued as new, no run after it) while its row is open is a workflow bug or an
  old run, not an ending: the row keeps its status, one `case_repaired` event says so (`left_open_for_agent`), an
  agent is told, and a row waiting on nobody goes to the agents (in arbitration, urgent).
After the repairs, the money pass (`activities/money_settling.py`): a `pending` ledger row whose case's workflow
ended is settled by asking the provider, with a `money_settled` event on the case's chain.
"""

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, desc, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus

from activities.money_settling import MoneySettler
from activities.recording import append, seal
from models import order_locks
from models.case import Case
from models.checkpoint import CheckpointKeys
from models.db import transaction
from models.timeline import CaseEvent
from rulebook import override
from rulebook.enums import FINAL_STATUSES, CaseKind, CaseStatus, Outcome, Party, Role
from workflows.ending import (
    UI_CANCELLED,
    UI_CANCELLER,
    CaseClosed,
    CaseEnding,
    ReconcileRequest,
    ReconcileResult,
    orphan_query,
)
from workflows.messages import PLATFORM_ID, EventDraft

UNKNOWN = "unidentified"  # the request carried no identity (the Temporal UI sends none without login)
PAGE = 100  # workflows listed, and rows looked up, at a time
LEFT_OPEN = "left_open_for_agent"  # a completed workflow's open case: kept open, for an agent
TAIL = 50  # the last events read to find the final status a timeline reached
# Events that say nothing about the case's status: looking back for where it ended, they are passed over.
NEUTRAL = frozenset(
    {
        "case_repaired",
        "timeline_diverged",
        "message",
        "reassigned",
        "agent_reminder",
        "evidence_added",
        "tracking_event",
        "money_settled",  # the reconciliation's settlement of a move left pending when the workflow ended
    }
)
MOVED = frozenset({"refund_executed", "coupon_issued", "refund_reversed"})  # money an override's step carried out
CLOSING = frozenset({CaseStatus.RESOLVED, CaseStatus.REJECTED, CaseStatus.WITHDRAWN})


@dataclass(frozen=True)
class EndRequest:
    """Who asked Temporal to cancel or terminate a run, and why, as its history says."""

    identity: str = UNKNOWN
    reason: str = ""


class CaseCloser:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        client: Client,
        checkpoint_keys: CheckpointKeys | None = None,
        settler: MoneySettler | None = None,
    ) -> None:
        """`checkpoint_keys` sign the checkpoint of each event appended here (without them, the development key);
        `settler`: the money pass run after the repairs (none: ledger rows are left as they are)."""
        self._sessions = sessions
        self._client = client
        self._keys = checkpoint_keys or CheckpointKeys.development()
        self._settler = settler

    @activity.defn
    async def close_cancelled(self, ending: CaseEnding) -> CaseClosed:
        """The case closes `cancelled`, saying who asked and why: the agent of a `cancel` update (`ending.by`), else
        the run's cancel request as its history names it (the Temporal UI names nobody)."""
        if ending.by:
            by, reason, via = ending.by, ending.reason, "cancel_update"
        else:
            asked = await end_request(self._client, ending.workflow_id, ending.run_id)
            by = UI_CANCELLER if asked.identity in ("", UNKNOWN) else asked.identity
            reason, via = asked.reason or UI_CANCELLED, "cancel_request"
        data = {"by": by, "reason": reason, "via": via}
        draft = EventDraft("case_cancelled", Role.AGENT, by, ending.at, data)
        stored, _ = await close(self._sessions, self._keys, ending.case_id, draft)
        return CaseClosed(stored or CaseStatus.CANCELLED, by, reason)

    @activity.defn
    async def repair_orphans(self, request: ReconcileRequest) -> ReconcileResult:
        """Repairs the case rows of workflows that ended without closing them: terminated, reset, timed out or
        cancelled by an older worker, closed with the final status their timeline reached (else `cancelled`);
        completed, left open for an agent (`leave_open`). Visibility lists the candidates (their last published
        status is open); the rows still open among them are checked against the workflow's latest run, at most
        `request.limit` repaired per run. Then the pending ledger rows of cases whose workflow ended are settled by
        asking the provider (`MoneySettler`), at most `request.limit` of them."""
        repaired: list[str] = []
        batch: list[str] = []
        async for execution in self._client.list_workflows(orphan_query(), page_size=PAGE):
            batch.append(execution.id)
            if len(batch) == PAGE:
                repaired += await self._repair(batch, request.limit - len(repaired))
                batch = []
            if len(repaired) >= request.limit:
                break
        if batch and len(repaired) < request.limit:
            repaired += await self._repair(batch, request.limit - len(repaired))
        settled = await self._settler.settle_ended(request.limit) if self._settler else []
        return ReconcileResult(tuple(repaired), tuple(settled))

    async def _repair(self, workflow_ids: list[str], room: int) -> list[str]:
        repaired: list[str] = []
        for case_id in (await open_rows(self._sessions, workflow_ids))[:room]:
            workflow_id = f"case-{case_id}"
            latest = await self._client.get_workflow_handle(workflow_id).describe()
            if latest.status == WorkflowExecutionStatus.RUNNING:
                continue  # a reset's new run carries the case on
            ended = latest.status.name.lower() if latest.status else "unknown"
            if latest.status in (WorkflowExecutionStatus.COMPLETED, WorkflowExecutionStatus.CONTINUED_AS_NEW):
                if await leave_open(self._sessions, self._keys, case_id, ended, datetime.now(UTC)):
                    activity.logger.error(
                        "case %s: its workflow %s while the case is open; left open for an agent", case_id, ended
                    )
                    repaired.append(case_id)
                continue
            asked = await end_request(self._client, workflow_id, latest.run_id)
            data = {"workflow_status": ended, "by": asked.identity, "reason": asked.reason}
            draft = EventDraft("case_repaired", Role.SYSTEM, PLATFORM_ID, datetime.now(UTC), data)
            stored, closed = await close(self._sessions, self._keys, case_id, draft, toward_timeline=True)
            if closed:
                activity.logger.info("repaired %s: its workflow ended %s, closed %s", case_id, ended, stored)
                repaired.append(case_id)
        return repaired


async def open_rows(sessions: async_sessionmaker[AsyncSession], workflow_ids: list[str]) -> list[str]:
    """The case ids among `workflow_ids` whose row is still open (most listed orphans were repaired before)."""
    case_ids = [workflow_id.removeprefix("case-") for workflow_id in workflow_ids if workflow_id.startswith("case-")]
    async with sessions() as session:
        query = select(Case.case_id).where(col(Case.case_id).in_(case_ids), col(Case.status).not_in(FINAL_STATUSES))
        return list((await session.exec(query)).all())


async def close(
    sessions: async_sessionmaker[AsyncSession],
    keys: CheckpointKeys,
    case_id: str,
    draft: EventDraft,
    *,
    toward_timeline: bool = False,
) -> tuple[CaseStatus | None, bool]:
    """Closes the case `cancelled` with `draft` as its last event — or, `toward_timeline`, with the final status its
    timeline reached if it reached one (`draft`'s data then names the status). Returns the stored status (None: no
    such case) and whether this call closed it (False: a step in flight closed it first)."""
    async with transaction(sessions) as session:
        case = await session.get(Case, case_id, with_for_update=True)
        if case is None or case.status.is_final:
            return (case.status if case else None), False
        status = CaseStatus.CANCELLED
        if toward_timeline:
            status = final_status(await tail(session, case_id)) or CaseStatus.CANCELLED
            draft = EventDraft(draft.type, draft.actor_role, draft.actor_id, draft.at, {**draft.data, "status": status})
        if case.kind == CaseKind.OVERSOLD:  # the order's lock lifts (or it is cancelled) with its case
            released = await order_locks.release(session, case.order_id, False, draft.at)
            draft = dataclasses.replace(draft, data={**draft.data, "order_lock": released})
        append(session, case, case.event_count + 1, draft)
        seal(session, case, keys)
        case.status, case.awaiting, case.deadline = status, None, None
        case.open_key, case.updated_at = None, draft.at
        session.add(case)
        return status, True


async def leave_open(
    sessions: async_sessionmaker[AsyncSession], keys: CheckpointKeys, case_id: str, ended: str, at: datetime
) -> bool:
    """The case of a workflow that completed stays open: one `case_repaired` event says so (none while the last
    event already does: the reconciliation finds such a case every run), and a row waiting on nobody goes to the
    agents, urgent. Answers whether this call recorded it."""
    async with transaction(sessions) as session:
        case = await session.get(Case, case_id, with_for_update=True)
        if case is None or case.status.is_final:
            return False
        last = [event for event in await tail(session, case_id, 10) if event.type != "money_settled"][:1]
        if last and last[0].type == "case_repaired" and last[0].data.get("action") == LEFT_OPEN:
            return False
        data = {"workflow_status": ended, "action": LEFT_OPEN, "status": str(case.status)}
        append(session, case, case.event_count + 1, EventDraft("case_repaired", Role.SYSTEM, PLATFORM_ID, at, data))
        seal(session, case, keys)
        if case.awaiting is None:
            case.status, case.awaiting, case.urgent = CaseStatus.IN_ARBITRATION, Party.AGENT, True
        case.updated_at = at
        session.add(case)
        return True


async def tail(session: AsyncSession, case_id: str, count: int = TAIL) -> list[CaseEvent]:
    """The case's last `count` events, the latest first."""
    query = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(desc(col(CaseEvent.seq))).limit(count)
    return list((await session.exec(query)).all())


def final_status(latest_first: list[CaseEvent]) -> CaseStatus | None:
    """The final status the timeline reached, reading back from its last event: a `case_closed` (resolved,
    rejected, withdrawn), a `withdrawn`, or an override carried out after the case closed. None: the timeline's
    last word leaves the case open (a shortfall, a hand-off, anything else), or says nothing within its tail."""
    for event in latest_first:
        if event.type in NEUTRAL or event.type in MOVED:
            continue  # money moved is read with the override or the closing before it
        if event.type.endswith(("_refused", "_failed", "_capped")):
            return None  # money fell short: the case went to an agent
        if event.type == "case_closed":
            status = event.data.get("status")
            return CaseStatus(status) if status in CLOSING else None
        if event.type == "withdrawn":
            return CaseStatus.WITHDRAWN
        if event.type == "decision_overridden":
            return override.status_after(Outcome(event.data["outcome"]))
        return None
    return None


async def end_request(client: Client, workflow_id: str, run_id: str | None) -> EndRequest:
    """The last cancel or terminate request in the run's history (the UI's user and the reason typed, if any)."""
    found = EndRequest()
    async for event in client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history_events():
        if event.HasField("workflow_execution_cancel_requested_event_attributes"):
            cancel = event.workflow_execution_cancel_requested_event_attributes
            found = EndRequest(cancel.identity or UNKNOWN, cancel.cause)
        elif event.HasField("workflow_execution_terminated_event_attributes"):
            terminated = event.workflow_execution_terminated_event_attributes
            found = EndRequest(terminated.identity or UNKNOWN, terminated.reason)
    return found
