"""Which stored events and ledger rows the business counters count, and under which labels."""

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from temporalio.runtime import MetricBuffer, Runtime, TelemetryConfig

from activities.counters import CaseCounters
from models.ledger import LedgerEntry, LedgerKind, LedgerStatus
from models.timeline import CaseEvent


def event(type: str, role: str, **data: Any) -> CaseEvent:
    at = datetime(2026, 11, 30, tzinfo=UTC)
    return CaseEvent(case_id="c1", seq=1, type=type, actor_role=role, actor_id="x", at=at, data=data, prev_hash="")


def counted(buffer: MetricBuffer) -> Counter[tuple[str, frozenset[tuple[str, object]]]]:
    totals: Counter[tuple[str, frozenset[tuple[str, object]]]] = Counter()
    for update in buffer.retrieve_updates():
        totals[(update.metric.name, frozenset(update.attributes.items()))] += update.value
    return totals


def test_openings_step_ins_decisions_overrides_and_settled_money_are_counted_with_their_labels() -> None:
    buffer = MetricBuffer(100)
    counters = CaseCounters(Runtime(telemetry=TelemetryConfig(metrics=buffer, attach_service_name=False)).metric_meter)

    counters.recorded(
        "return_refund",
        [
            event("case_opened", "buyer"),
            event("evidence_added", "buyer"),
            event("deadline_passed", "system", waited_on="merchant", then="platform_steps_in"),
            event("decision_made", "system", outcome="refund", rules=["R-TIMEOUT", "R-QUALITY"]),
            event("decision_made", "agent", outcome="reject", rules=[]),
            event("decision_overridden", "agent", outcome="coupon"),
        ],
    )
    refused = LedgerEntry(business_key="k", case_id="c1", order_id="o", kind=LedgerKind.REFUND, amount_cents=0)
    refused.asked_cents, refused.status = 2000, LedgerStatus.REFUSED
    counters.settled(refused)

    assert counted(buffer) == {
        ("aftersales_cases_opened", frozenset({("kind", "return_refund")})): 1,
        ("aftersales_platform_step_ins", frozenset({("waited_on", "merchant"), ("then", "platform_steps_in")})): 1,
        ("aftersales_decisions", frozenset({("by", "system"), ("outcome", "refund"), ("rule", "R-TIMEOUT")})): 1,
        ("aftersales_decisions", frozenset({("by", "agent"), ("outcome", "reject"), ("rule", "none")})): 1,
        ("aftersales_decisions_overridden", frozenset({("outcome", "coupon")})): 1,
        ("aftersales_money_moves", frozenset({("kind", "refund"), ("status", "refused")})): 1,
        ("aftersales_money_moved_cents", frozenset({("kind", "refund"), ("status", "refused")})): 2000,
    }
