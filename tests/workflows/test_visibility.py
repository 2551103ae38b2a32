"""What an agent reads in the Temporal UI: the title line, the priority, the story, the timers' names."""

from datetime import UTC, datetime, timedelta

from rulebook.enums import CaseKind, CaseStatus
from rulebook.timers import Timers
from workflows import visibility
from workflows.messages import CaseInput, EventDraft
from workflows.story import CaseStory, View, details

AT = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 12:00 in Beijing
CASE = CaseInput("c-1", CaseKind.REFUND_ONLY, "o-1", "buyer-1", "shop-1", 5900, "quality_defect", False, Timers())


def view(status: CaseStatus = CaseStatus.AWAITING_MERCHANT, urgent: bool = False, **kw: object) -> View:
    deadline = None if status.is_final else AT
    return View(CASE, status, deadline, urgent, kw.get("decision"), 5900)  # type: ignore[arg-type]


def event(type: str, role: str, **data: object) -> EventDraft:
    return EventDraft(type, role, f"{role}-1", AT, dict(data))


def test_the_title_says_kind_amount_whose_move_and_until_when_in_beijing_time() -> None:
    assert visibility.title(view()) == "仅退款 ¥59.00 · 等待商家 · 截止 12-01 12:00"
    assert visibility.title(view(CaseStatus.IN_ARBITRATION, urgent=True)).startswith("急 · 仅退款 ¥59.00 · 平台仲裁")
    closed = view(CaseStatus.RESOLVED, decision={"outcome": "refund", "amount_cents": 5900})
    assert visibility.title(closed) == "仅退款 ¥59.00 · 已解决 · 退款"


def test_priority_puts_urgent_arbitration_first_and_closed_cases_last() -> None:
    assert visibility.priority(view(CaseStatus.IN_ARBITRATION, urgent=True)) == 3
    assert visibility.priority(view(urgent=True)) == 2
    assert visibility.priority(view()) == 1
    assert visibility.priority(view(CaseStatus.WITHDRAWN)) == 0


def test_the_details_tell_why_it_reached_arbitration_the_rules_evidence_messages_and_money() -> None:
    story = CaseStory()
    story.add(
        event("case_opened", "buyer", urgent_rules=[]),
        event("evidence_added", "buyer", kind="photo", evidence_id="ev-1", note="开线处"),
        event("merchant_rejected", "merchant", reason="买家自己弄坏的"),
        event("escalated", "buyer", reason="不认同"),
        event(
            "decision_made", "system", outcome="to_agent", amount_cents=0, rules=["R-TIMEOUT"], rationale_zh="转客服"
        ),
    )
    text = details(view(CaseStatus.IN_ARBITRATION), story, "headline")

    assert "**为何到仲裁** 一方申请平台介入" in text
    assert "R-TIMEOUT" in text and "转平台客服裁决" in text and "to_agent" not in text
    assert "GET `/cases/c-1/evidence/ev-1`" in text
    assert "商家(商家拒绝):买家自己弄坏的" in text
    assert "已退 ¥0.00 · 仍可退 ¥59.00" in text
    assert '"outcome": "refund"' in text  # how to decide from the UI
    assert story.rules == ["R-TIMEOUT"]


def test_timers_and_steps_have_readable_names() -> None:
    assert visibility.timer_summary(CaseStatus.AWAITING_MERCHANT, timedelta(hours=24)) == "商家答复期限 T-MERCHANT 24h"
    steps = (event("case_opened", "buyer"), event("decision_made", "system"))
    assert visibility.step_summary(steps) == "记录:案件开立 · 规则/客服裁决"
