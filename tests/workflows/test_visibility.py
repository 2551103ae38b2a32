"""What an agent reads in the Temporal UI: the title line, the priority, the story, the timers' names."""

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
    assert "照片 · 买家 · 开线处 · `ev-1`" in text and "POST /agent/cases/c-1/evidence/<证据编号>/link" in text
    assert "商家(商家拒绝):买家自己弄坏的" in text
    assert "已退 ¥0.00 · 仍可退 ¥59.00" in text
    assert '"outcome": "refund"' in text  # how to decide from the UI
    assert story.rules == ["R-TIMEOUT"]


def test_timers_and_steps_have_readable_names() -> None:
    assert visibility.timer_summary(CaseStatus.AWAITING_MERCHANT, timedelta(hours=24)) == "商家答复期限 T-MERCHANT 24h"
    steps = (event("case_opened", "buyer"), event("decision_made", "system"))
    assert visibility.step_summary(steps) == "记录:案件开立 · 规则/客服裁决"


def test_the_story_tells_the_item_the_delivery_and_the_merchants_claims_in_words() -> None:
    listing = {
        "evidence_id": "sys-listing",
        "source": "listing_snapshot",
        "content": {"items": [{"sku": "tee-1", "title": "纯棉T恤", "listing": {}}]},
    }
    nodes = [
        {"status": "in_transit", "at": "2026-12-02T01:00:00+00:00", "location": "杭州"},
        {"status": "delivered", "at": "2026-12-03T06:00:00+00:00", "location": "上海浦东"},
    ]
    tracking = {"evidence_id": "sys-tracking", "source": "tracking_nodes", "content": {"nodes": nodes}}
    story = CaseStory()
    story.add(
        event("case_opened", "buyer", urgent_rules=[], system_evidence=[listing, tracking]),
        event("merchant_rejected", "merchant", reason="已穿过", claims=["worn", "tags_removed"]),
        event("case_cancelled", "agent", by="agent-7", reason="买家来电撤销", via="cancel_update"),
    )
    text = details(view(CaseStatus.CANCELLED), story, "headline")

    assert "**商品** 纯棉T恤(SKU `tee-1`)" in text
    assert "2026-12-02 09:00(北京时间) 运输中 杭州 → 2026-12-03 14:00(北京时间) 已签收 上海浦东" in text
    assert "**商家主张** 商品已被使用、吊牌已拆" in text and "worn" not in text
    assert "系统证据 · 下单时的商品快照 · `sys-listing`" in text and "系统证据 · 物流节点 · `sys-tracking`" in text
    assert "客服 agent-7 取消,原因:买家来电撤销" in text


def test_every_wait_of_a_case_has_a_readable_name() -> None:
    assert visibility.override_window_summary(timedelta(hours=72)) == "客服改判窗口(平台自动结案后可改判) 3d"
    assert visibility.refund_watch_summary(timedelta(days=6)) == "退款未到账则提醒客服 T-REFUND 6d"


def test_every_timer_and_activity_in_the_workflows_carries_a_summary() -> None:
    """The UI's Event History names each timer and activity by its summary; one without shows as a bare number."""
    unnamed = []
    for path in sorted(Path("workflows").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            keywords = {k.arg for k in node.keywords}
            name = node.func.attr
            if name == "wait_condition" and "timeout" in keywords and "timeout_summary" not in keywords:
                unnamed.append(f"{path}:{node.lineno} {name}")
            activity = name.startswith(("execute_", "start_")) and "activity" in name
            if (name == "sleep" or activity) and "summary" not in keywords:
                unnamed.append(f"{path}:{node.lineno} {name}")
    assert unnamed == []
