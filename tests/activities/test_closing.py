"""Where the reconciliation reads a case's final status from its timeline (`activities.closing.final_status`)."""

from datetime import UTC, datetime
from typing import Any

import pytest

from activities.closing import final_status
from models.timeline import CaseEvent
from rulebook.enums import CaseStatus


def ev(type: str, **data: Any) -> CaseEvent:
    at = datetime(2026, 11, 30, tzinfo=UTC)
    return CaseEvent(case_id="c1", seq=1, type=type, actor_role="system", actor_id="x", at=at, data=data, prev_hash="")


@pytest.mark.parametrize(
    ("events", "status"),
    [
        ([ev("decision_made"), ev("refund_executed"), ev("case_closed", status="resolved")], CaseStatus.RESOLVED),
        ([ev("case_closed", status="rejected"), ev("timeline_diverged"), ev("case_repaired")], CaseStatus.REJECTED),
        ([ev("withdrawn", reason="不要了"), ev("message", text="好的")], CaseStatus.WITHDRAWN),
        (
            [ev("case_closed", status="resolved"), ev("decision_overridden", outcome="reject"), ev("refund_reversed")],
            CaseStatus.REJECTED,
        ),
        (
            [ev("case_closed", status="rejected"), ev("decision_overridden", outcome="refund"), ev("refund_executed")],
            CaseStatus.RESOLVED,
        ),
        (
            [ev("case_closed", status="resolved"), ev("decision_overridden", outcome="coupon"), ev("coupon_failed")],
            None,
        ),
        ([ev("decision_made"), ev("refund_refused")], None),
        ([ev("case_closed", status="resolved"), ev("escalated")], None),
        ([ev("case_opened"), ev("message")], None),
        ([ev("case_closed", status="cancelled")], None),
        ([], None),
    ],
)
def test_the_final_status_is_the_timeline_s_last_word_on_it(events: list[CaseEvent], status: CaseStatus | None) -> None:
    assert final_status(list(reversed(events))) == status
