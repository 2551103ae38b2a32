"""What a support agent sees of a case in the Temporal UI: a one-line title and a priority to find it by (search
attributes), the case's story as Markdown (current details), and readable names for its timers and steps.

Pure functions of the workflow's state and a `CaseStory` kept from the events the workflow records, so the
workflow only hands them over (`CaseWorkflow._publish`).
"""

from datetime import timedelta
from typing import Any

from temporalio.common import SearchAttributeUpdate

from rulebook.enums import CaseStatus
from rulebook.labels import KIND_ZH, OUTCOME_ZH, STATUS_ZH, TIMER_ZH, word, yuan
from workflows import search_attributes as sa
from workflows.messages import EventDraft
from workflows.story import BEIJING, STEP_ZH, CaseStory, View

PATCH = "visibility-title-priority"  # before it, cases published only status, awaiting, deadline and urgency
STATUS_TIMER = {
    CaseStatus.AWAITING_MERCHANT: "T-MERCHANT",
    CaseStatus.AWAITING_REPLACEMENT: "T-MERCHANT",
    CaseStatus.AWAITING_BUYER: "T-BUYER-REPLY",
    CaseStatus.AWAITING_RETURN_SHIPMENT: "T-BUYER-SHIP",
    CaseStatus.RETURN_IN_TRANSIT: "T-STALL",
    CaseStatus.REPLACEMENT_IN_TRANSIT: "T-STALL",
    CaseStatus.AWAITING_RECEIPT: "T-RECEIPT",
    CaseStatus.IN_ARBITRATION: "T-AGENT",
}


def title(view: View) -> str:
    """One line that says what the case is: '急 · 仅退款 ¥59.00 · 等待商家 · 截止 12-01 20:00'."""
    parts = [f"{word(KIND_ZH, view.case.kind)} {yuan(view.case.amount_cents)}", word(STATUS_ZH, view.status)]
    if view.status.is_final and view.decision:
        parts.append(word(OUTCOME_ZH, view.decision.get("outcome")))
    if view.deadline is not None:
        parts.append(f"截止 {view.deadline.astimezone(BEIJING):%m-%d %H:%M}")
    return " · ".join((["急"] if view.urgent and not view.status.is_final else []) + parts)


def priority(view: View) -> int:
    """3 urgent and waiting on an agent, 2 urgent, 1 open, 0 closed: saved views split the queue by it."""
    if view.status.is_final:
        return 0
    if view.urgent:
        return 3 if view.status == CaseStatus.IN_ARBITRATION else 2
    return 1


def attributes(view: View, story: CaseStory) -> list[SearchAttributeUpdate[Any]]:
    updates: list[SearchAttributeUpdate[Any]] = [
        sa.CASE_TITLE.value_set(title(view)),
        sa.PRIORITY.value_set(priority(view)),
        sa.AMOUNT_CENTS.value_set(view.case.amount_cents),
        sa.RULES_APPLIED.value_set(list(story.rules)),
    ]
    return updates + ([sa.ASSIGNED_AGENT.value_set(story.assignee)] if story.assignee else [])


def span(wait: timedelta) -> str:
    """'24h', '6d', '90s': a wait as the settings write it."""
    seconds = wait.total_seconds()
    if seconds >= 48 * 3600 and seconds % 86400 == 0:
        return f"{seconds / 86400:.0f}d"
    return f"{seconds / 3600:.0f}h" if seconds >= 3600 else f"{seconds:.0f}s"


def timer_summary(status: CaseStatus, wait: timedelta) -> str:
    """'商家答复期限 T-MERCHANT 24h': what the timer in the UI's history is waiting for."""
    timer = STATUS_TIMER.get(status, "")
    hours = wait.total_seconds() / 3600
    length = f"{hours:.0f}h" if hours >= 1 else f"{wait.total_seconds():.0f}s"
    return f"{word(TIMER_ZH, timer)} {timer} {length}".strip()


def override_window_summary(wait: timedelta) -> str:
    """'客服改判窗口 72h': the platform closed the case by itself; an agent may still override it meanwhile."""
    return f"客服改判窗口(平台自动结案后可改判) {span(wait)}"


def refund_watch_summary(wait: timedelta) -> str:
    """'退款到账提醒 T-REFUND 6d': a refund the provider has not confirmed by then goes to the agents."""
    return f"退款未到账则提醒客服 T-REFUND {span(wait)}"


def step_summary(events: tuple[EventDraft, ...]) -> str:
    """'记录:案件开立 · 规则/客服裁决': what a `record_step` stored."""
    return "记录:" + " · ".join(word(STEP_ZH, event.type) for event in events)
