"""Closes a case from outside its flow: the workflow's own cancellation, and the reconciliation of case rows whose
workflow ended without closing them. Each appends one event to the hash chain at the stored head (the recorder's
numbering), frees the order — an oversold order's lock lifts, or the order is cancelled if refunded in full
(`order_lock` in the event's data) — and tells both parties; a case already closed is left as it is, so retries are
safe.
"""

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus

from activities.recording import append
from models import order_locks
from models.case import Case
from models.db import transaction
from rulebook.enums import FINAL_STATUSES, CaseKind, CaseStatus, Role
from workflows.ending import CaseClosed, CaseEnding, ReconcileRequest, ReconcileResult, orphan_query
from workflows.messages import PLATFORM_ID, EventDraft

UNKNOWN = "unidentified"  # the request carried no identity (the Temporal UI sends none without login)
PAGE = 100  # workflows listed, and rows looked up, at a time


@dataclass(frozen=True)
class EndRequest:
    """Who asked Temporal to cancel or terminate a run, and why, as its history says."""

    identity: str = UNKNOWN
    reason: str = ""


class CaseCloser:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], client: Client) -> None:
        self._sessions = sessions
        self._client = client

    @activity.defn
    async def close_cancelled(self, ending: CaseEnding) -> CaseClosed:
        """The workflow caught a cancel request: the case closes `cancelled`, saying who asked and why."""
        asked = await end_request(self._client, ending.workflow_id, ending.run_id)
        data = {"by": asked.identity, "reason": asked.reason, "via": "cancel_request"}
        draft = EventDraft("case_cancelled", Role.AGENT, asked.identity, ending.at, data)
        stored, _ = await close(self._sessions, ending.case_id, draft)
        return CaseClosed(stored or CaseStatus.CANCELLED, asked.identity, asked.reason)

    @activity.defn
    async def repair_orphans(self, request: ReconcileRequest) -> ReconcileResult:
        """Closes the case rows of workflows that ended without closing them (terminated, reset, cancelled by an
        older worker). Visibility lists the candidates (their last published status is open); the rows still open
        among them are checked against the workflow's latest run, at most `request.limit` per run."""
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
        return ReconcileResult(tuple(repaired))

    async def _repair(self, workflow_ids: list[str], room: int) -> list[str]:
        repaired: list[str] = []
        for case_id in (await open_rows(self._sessions, workflow_ids))[:room]:
            workflow_id = f"case-{case_id}"
            latest = await self._client.get_workflow_handle(workflow_id).describe()
            if latest.status == WorkflowExecutionStatus.RUNNING:
                continue  # a reset's new run carries the case on
            asked = await end_request(self._client, workflow_id, latest.run_id)
            ended = latest.status.name.lower() if latest.status else "unknown"
            data = {"workflow_status": ended, "by": asked.identity, "reason": asked.reason}
            draft = EventDraft("case_repaired", Role.SYSTEM, PLATFORM_ID, datetime.now(UTC), data)
            if (await close(self._sessions, case_id, draft))[1]:
                activity.logger.info("repaired %s: its workflow ended %s", case_id, ended)
                repaired.append(case_id)
        return repaired


async def open_rows(sessions: async_sessionmaker[AsyncSession], workflow_ids: list[str]) -> list[str]:
    """The case ids among `workflow_ids` whose row is still open (most listed orphans were repaired before)."""
    case_ids = [workflow_id.removeprefix("case-") for workflow_id in workflow_ids if workflow_id.startswith("case-")]
    async with sessions() as session:
        query = select(Case.case_id).where(col(Case.case_id).in_(case_ids), col(Case.status).not_in(FINAL_STATUSES))
        return list((await session.exec(query)).all())


async def close(
    sessions: async_sessionmaker[AsyncSession], case_id: str, draft: EventDraft
) -> tuple[CaseStatus | None, bool]:
    """Closes the case `cancelled` with `draft` as its last event. Returns the stored status (None: no such case)
    and whether this call closed it (False: a step in flight closed it first)."""
    async with transaction(sessions) as session:
        case = await session.get(Case, case_id, with_for_update=True)
        if case is None or case.status.is_final:
            return (case.status if case else None), False
        if case.kind == CaseKind.OVERSOLD:  # the order's lock lifts (or it is cancelled) with its case
            released = await order_locks.release(session, case.order_id, False, draft.at)
            draft = dataclasses.replace(draft, data={**draft.data, "order_lock": released})
        append(session, case, case.event_count + 1, draft)
        case.status, case.awaiting, case.deadline = CaseStatus.CANCELLED, None, None
        case.open_key, case.updated_at = None, draft.at
        session.add(case)
        return CaseStatus.CANCELLED, True


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
