"""Starting a case's workflow, shared by the API (a buyer's request) and the exception scan (the system's cases).

Update-with-start: the caller learns the case is stored as opened (and decided at once where the rule book says so)
in the same call, so a case decided at once cannot finish before it is asked.
"""

from typing import Any

from temporalio.client import WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy

from models.case import Case
from rulebook.deadlines import DeadlinePolicy
from rulebook.enums import CaseStatus, Party
from rulebook.facts import Thresholds
from rulebook.labels import KIND_ZH, REASON_ZH, word, yuan
from rulebook.timers import Timers
from workflows import search_attributes as sa
from workflows import visibility
from workflows.case import CaseWorkflow
from workflows.messages import HISTORY_EVENTS_LIMIT, CaseInput
from workflows.story import View


def case_input(
    case: Case,
    timers: Timers,
    thresholds: Thresholds,
    deadlines: DeadlinePolicy,
    history_events_limit: int = HISTORY_EVENTS_LIMIT,
) -> CaseInput:
    """The workflow's input for `case` (also what the facts activity reads the case with)."""
    return CaseInput(
        case_id=case.case_id,
        kind=case.kind,
        order_id=case.order_id,
        buyer_id=case.buyer_id,
        shop_id=case.shop_id,
        amount_cents=case.amount_cents,
        reason=case.reason,
        urgent=case.urgent,
        timers=timers,
        thresholds=thresholds,
        deadlines=deadlines,
        history_events_limit=history_events_limit,
    )


def start_operation(
    case: Case,
    opened: CaseInput,
    task_queue: str,
    conflict: WorkflowIDConflictPolicy = WorkflowIDConflictPolicy.FAIL,
) -> WithStartWorkflowOperation[Any, Any]:
    """The start half of the update-with-start (`client.execute_update_with_start_workflow(CaseWorkflow.opened, …)`)."""
    return WithStartWorkflowOperation(
        CaseWorkflow.run,
        opened,
        id=case.workflow_id,
        id_conflict_policy=conflict,
        task_queue=task_queue,
        search_attributes=sa.at_start(
            kind=case.kind,
            shop_id=case.shop_id,
            buyer_id=case.buyer_id,
            order_id=case.order_id,
            status=CaseStatus.AWAITING_MERCHANT,
            awaiting=Party.MERCHANT,
            urgent=case.urgent,
            title=visibility.title(View(opened, CaseStatus.AWAITING_MERCHANT, None, case.urgent, None, 0)),
            amount_cents=case.amount_cents,
        ),
        static_summary=summary(case),
        static_details=details(case),
    )


def summary(case: Case) -> str:
    """The case page's headline: what was asked, on which order, between whom."""
    asked = f"{word(KIND_ZH, case.kind)} {yuan(case.amount_cents)} · {word(REASON_ZH, case.reason)}"
    return f"{asked} · 订单 {case.order_id} · 买家 {case.buyer_id} → 店铺 {case.shop_id}"


def details(case: Case) -> str:
    """The case page's static details, in the words the agents read (no codes): the case as it was asked. What
    happened since is the current details' story; the *Input* tab is the workflow's raw input, for the service."""
    lines = [
        f"**案件** `{case.case_id}` · {word(KIND_ZH, case.kind)}",
        f"**订单** `{case.order_id}` · 买家 `{case.buyer_id}` · 店铺 `{case.shop_id}`",
        f"**申请** {yuan(case.amount_cents)} · 原因 {word(REASON_ZH, case.reason)}"
        + (" · 买家称急需" if case.urgent else ""),
        "案件的进展、证据和处理方法见 **Current Details**(随案件更新);Input 页只是开立时交给工作流的原始参数。",
    ]
    if case.description:
        lines.append(f"**买家描述** {case.description[:500]}")
    return "\n\n".join(lines)
