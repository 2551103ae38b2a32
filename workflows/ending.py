"""How a case ends from outside its own flow: an agent's `cancel` update (who and why), a cancel request from the
Temporal UI, or a workflow that ended
(terminated, reset, timed out) without closing its case row, found by the reconciliation schedule
(`workflows/reconcile.py`), which closes it as its timeline says; a workflow that completed while its row is open
is no ending, and its case is left open for an agent (`activities/closing.py`).
"""

from dataclasses import dataclass, field
from datetime import datetime

from rulebook.enums import CaseStatus

CANCEL_PATCH = "cancel-closes-case"  # before it, a cancel request ended the workflow and left the case row open
RECONCILE_SCHEDULE_ID = "case-reconcile"
# Who and why, for a cancel request that names neither (the Temporal UI sends no identity and may send no reason)
UI_CANCELLER = "temporal-ui"
UI_CANCELLED = "cancelled in the Temporal UI"
OPEN_STATUSES = tuple(status for status in CaseStatus if not status.is_final)


@dataclass(frozen=True)
class CaseEnding:
    """A cancelled case to close; `at` is the workflow's time, so a retried activity writes the same event.
    `by` and `reason` name who cancelled and why when an agent said so (the `cancel` update); empty, the activity
    reads them from the run's cancel request (the Temporal UI's, which names neither)."""

    case_id: str
    workflow_id: str
    run_id: str
    at: datetime
    by: str = ""
    reason: str = ""


@dataclass(frozen=True)
class CaseClosed:
    """What closing a cancelled case stored: its status (a step in flight may have closed it first) and the event."""

    status: CaseStatus
    by: str = ""
    reason: str = ""


@dataclass(frozen=True)
class ReconcileRequest:
    limit: int = 200  # workflows looked at per run at most; the next run takes the rest


@dataclass(frozen=True)
class ReconcileResult:
    # case ids repaired by this run: closed (as their timeline says, else cancelled) or left open for an agent
    repaired: tuple[str, ...] = field(default_factory=tuple)
    # business keys of pending ledger rows settled by this run, their case's workflow having ended
    settled: tuple[str, ...] = field(default_factory=tuple)


def orphan_query() -> str:
    """Case workflows no longer running whose last published status is still open (terminated, cancelled, timed
    out, failed — or completed, a bug the reconciliation leaves to an agent); a run that continued as new
    (workflows/continuation.py) handed the case on and is no orphan."""
    statuses = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
    ended = "ExecutionStatus NOT IN ('Running', 'ContinuedAsNew')"
    return f"WorkflowType = 'CaseWorkflow' AND {ended} AND CaseStatus IN ({statuses})"
