"""The reconciliation's money pass (issue "A record no one can rewrite", finding 6): a `pending` ledger row whose
case's workflow is no longer running — terminated or reset mid-payment, timed out, completed — would hold its money
for ever (`nothing_refundable` for the order, if the provider never paid). It is settled by asking the provider by its
business key: paid → `succeeded` with the provider's reference, refused for good or never taken → `failed` (its amount
is free again); a provider still processing it, or not answering, leaves it for the next run. The settlement and a
`money_settled` event on the case's hash chain (at the stored head, as `activities/closing.py` appends) are one
transaction, and the ledger's guard lets a row settle only once.

Only a workflow that is not running lets its money be settled from outside: a closed case whose workflow still
runs (the override window) may have a move in flight. And only `settle_after` after the workflow closed and after
the move began: an attempt of the money activity still in flight when its workflow ended has run its course by then
(30 s at most).
"""

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from activities.adapters.payments import PaymentProvider
from activities.counters import CaseCounters
from activities.recording import append, seal
from models.case import Case
from models.checkpoint import CheckpointKeys
from models.db import transaction
from models.ledger import LedgerEntry, LedgerStatus
from models.ledger_audit import SETTLED_EVENT
from rulebook.enums import Role
from workflows.messages import PLATFORM_ID, EventDraft

log = logging.getLogger("payments")

SETTLE_AFTER = timedelta(minutes=2)
PAGE = 100


@dataclass(frozen=True)
class Ended:
    """Whether the case's workflow has ended long enough ago for its money to be settled from outside."""

    settles: bool
    workflow_status: str = ""


class MoneySettler:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        client: Client,
        provider: PaymentProvider,
        counters: CaseCounters | None = None,
        settle_after: timedelta = SETTLE_AFTER,
        checkpoint_keys: CheckpointKeys | None = None,
    ) -> None:
        """`checkpoint_keys` sign the checkpoint of each event appended here (without them, the development key)."""
        self._sessions = sessions
        self._keys = checkpoint_keys or CheckpointKeys.development()
        self._client = client
        self._provider = provider
        self._counters = counters or CaseCounters()
        self._settle_after = settle_after

    async def settle_ended(self, limit: int, case_ids: Collection[str] | None = None) -> list[str]:
        """Settles the pending rows of cases whose workflow ended, at most `limit` (of `case_ids` only, when given);
        answers their business keys."""
        settled: list[str] = []
        after, ended = 0, dict[str, Ended]()
        while len(settled) < limit:
            rows = await self._pending_page(after, case_ids)
            if not rows:
                break
            after = rows[-1].id or after
            for row in rows:
                if row.case_id not in ended:
                    ended[row.case_id] = await self._ended(row.case_id)
                if ended[row.case_id].settles and await self._settle(row, ended[row.case_id].workflow_status):
                    settled.append(row.business_key)
                if len(settled) >= limit:
                    break
        return settled

    async def _pending_page(self, after: int, case_ids: Collection[str] | None) -> list[LedgerEntry]:
        query = select(LedgerEntry).where(LedgerEntry.status == LedgerStatus.PENDING, col(LedgerEntry.id) > after)
        if self._settle_after > timedelta(0):  # a move begun this recently may still be in flight, whatever ended
            query = query.where(col(LedgerEntry.created_at) <= datetime.now(UTC) - self._settle_after)
        if case_ids is not None:
            query = query.where(col(LedgerEntry.case_id).in_(case_ids))
        async with self._sessions() as session:
            return list((await session.exec(query.order_by(col(LedgerEntry.id)).limit(PAGE))).all())

    async def _ended(self, case_id: str) -> Ended:
        try:
            latest = await self._client.get_workflow_handle(f"case-{case_id}").describe()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:  # its history is gone (retention): long ended
                return Ended(True, "not_found")
            raise
        if latest.status in (None, WorkflowExecutionStatus.RUNNING):
            return Ended(False)
        ended = latest.status.name.lower()
        if self._settle_after <= timedelta(0):  # at once (tests: a time-skipping server's clock runs ahead)
            return Ended(True, ended)
        closed_at = latest.close_time or datetime.now(UTC)
        return Ended(datetime.now(UTC) - closed_at >= self._settle_after, ended)

    async def _settle(self, row: LedgerEntry, workflow_status: str) -> bool:
        try:
            found = await self._provider.lookup(kind=str(row.kind), idempotency_key=row.business_key)
        except Exception as error:  # the provider did not answer: the row waits for the next run
            log.warning("could not ask the provider about %s: %r", row.business_key, error)
            return False
        if found is not None and found.status == "pending":
            return False
        succeeded = found is not None and found.status == "succeeded"
        reference = found.reference if found is not None and succeeded else None
        if succeeded:
            note = row.note
        elif found is None:
            note = "failed: the provider never took this payment; settled after its case ended"
        else:
            note = "failed: the provider refused this payment; settled after its case ended"
        status = LedgerStatus.SUCCEEDED if succeeded else LedgerStatus.FAILED
        return await self._book(row, status, reference, note, workflow_status)

    async def _book(
        self, row: LedgerEntry, status: LedgerStatus, reference: str | None, note: str, workflow_status: str
    ) -> bool:
        at = datetime.now(UTC)
        async with transaction(self._sessions) as session:
            case = await session.get(Case, row.case_id, with_for_update=True)
            query = select(LedgerEntry).where(LedgerEntry.business_key == row.business_key).with_for_update()
            entry = (await session.exec(query)).one()
            if case is None or entry.status != LedgerStatus.PENDING:
                return False  # settled meanwhile
            entry.status, entry.external_ref, entry.completed_at, entry.note = status, reference, at, note[:500]
            session.add(entry)
            data = {
                "business_key": entry.business_key,
                "kind": str(entry.kind),
                "status": str(status),
                "amount_cents": entry.amount_cents if status == LedgerStatus.SUCCEEDED else 0,
                "asked_cents": entry.amount_cents,
                "external_ref": reference or "",
                "workflow_status": workflow_status,
                "note": entry.note,
            }
            append(session, case, case.event_count + 1, EventDraft(SETTLED_EVENT, Role.SYSTEM, PLATFORM_ID, at, data))
            seal(session, case, self._keys)
            case.updated_at = at
            session.add(case)
        self._counters.settled(entry)
        log.info("settled %s as %s after its case's workflow %s", row.business_key, status, workflow_status)
        return True
