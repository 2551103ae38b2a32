"""An order's ledger checked against the money its cases' timelines say moved (`GET /orders/{order_id}/verify`).

The ledger decides what may move; the hash chain of each case says what did. A rewrite of either shows as a
disagreement: every succeeded move has its money event on its case's chain (`refund_executed`, `coupon_issued`,
`refund_reversed`, a capped move's `…_capped`, or the reconciliation's `money_settled`), carrying its business key and
the same amount; every such event has its succeeded move; and neither the ledger nor the chains refund more than the
order paid. A move the provider confirmed moments ago may not be on its timeline yet (its step is being stored):
those settled within `RECORDING_GRACE` are not held against the ledger.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from models.ledger import COUNTS_AGAINST_PAID, HOLDS_MONEY, LedgerEntry, LedgerKind, LedgerStatus
from models.timeline import CaseEvent

RECORDING_GRACE = timedelta(minutes=2)
SETTLED_EVENT = "money_settled"  # the reconciliation's settlement of a move whose case had ended
# The events that say money moved, by the ledger kind they book.
MOVED_EVENTS: dict[str, LedgerKind] = {
    "refund_executed": LedgerKind.REFUND,
    "refund_capped": LedgerKind.REFUND,
    "coupon_issued": LedgerKind.COUPON,
    "coupon_capped": LedgerKind.COUPON,
    "compensation_issued": LedgerKind.COMPENSATION,
    "compensation_capped": LedgerKind.COMPENSATION,
    "refund_reversed": LedgerKind.REVERSAL,
    "reversal_capped": LedgerKind.REVERSAL,
}
MONEY_EVENTS = frozenset({*MOVED_EVENTS, SETTLED_EVENT})


@dataclass(frozen=True)
class Finding:
    problem: str  # move_without_event, event_without_move, event_of_unsettled_move, amount_differs, …
    message: str
    business_key: str | None = None
    case_id: str | None = None
    amount_cents: int | None = None  # the ledger's, where there is a row
    event_amount_cents: int | None = None
    event_seq: int | None = None


def moved(event: CaseEvent) -> bool:
    """The event says money moved (a settlement says so only when the provider paid)."""
    if event.type == SETTLED_EVENT:
        return event.data.get("status") == LedgerStatus.SUCCEEDED
    return event.type in MOVED_EVENTS


def _kind_of(event: CaseEvent) -> str | None:
    if event.type == SETTLED_EVENT:
        return str(event.data.get("kind"))
    return MOVED_EVENTS.get(event.type)


def _amount(event: CaseEvent) -> int | None:
    amount = event.data.get("amount_cents")
    return amount if isinstance(amount, int) and not isinstance(amount, bool) else None


def check(paid_cents: int, rows: Sequence[LedgerEntry], events: Sequence[CaseEvent], now: datetime) -> list[Finding]:
    """What disagrees between the order's ledger `rows` and the money `events` of its cases' chains."""
    findings: list[Finding] = []
    by_key = {row.business_key: row for row in rows}
    evidenced: dict[str, list[CaseEvent]] = {}
    for event in (e for e in events if moved(e)):
        key = event.data.get("business_key")
        amount = _amount(event)
        if not isinstance(key, str) or key not in by_key:
            findings.append(_event_finding("event_without_move", event, key, amount, None))
            continue
        evidenced.setdefault(key, []).append(event)
        row = by_key[key]
        if row.case_id != event.case_id or row.kind != _kind_of(event):
            findings.append(_event_finding("event_of_another_move", event, key, amount, row))
        elif row.status != LedgerStatus.SUCCEEDED:
            findings.append(_event_finding("event_of_unsettled_move", event, key, amount, row))
        elif amount != row.amount_cents:
            findings.append(_event_finding("amount_differs", event, key, amount, row))
    for row in rows:
        if row.status != LedgerStatus.SUCCEEDED or row.business_key in evidenced or _recording(row, now):
            continue
        findings.append(
            Finding(
                "move_without_event",
                f"the ledger's {row.kind} {row.business_key} of {row.amount_cents} fen succeeded, "
                f"and no money event on case {row.case_id}'s timeline names it",
                row.business_key,
                row.case_id,
                row.amount_cents,
            )
        )
    findings += _past_paid(paid_cents, rows, events)
    return findings


def _recording(row: LedgerEntry, now: datetime) -> bool:
    """Settled within the grace: its case's step may still be storing the event."""
    return row.completed_at is not None and now - RECORDING_GRACE <= row.completed_at <= now


def _past_paid(paid_cents: int, rows: Sequence[LedgerEntry], events: Sequence[CaseEvent]) -> list[Finding]:
    """Refunds net of reversals past what the order paid: on the ledger (in flight counted), and on the chains."""
    found: list[Finding] = []
    held = sum(r.amount_cents for r in rows if r.kind in COUNTS_AGAINST_PAID and r.status in HOLDS_MONEY)
    returned = sum(r.amount_cents for r in rows if r.kind == LedgerKind.REVERSAL and r.status == LedgerStatus.SUCCEEDED)
    if held - returned > paid_cents:
        found.append(
            Finding(
                "refunded_past_paid",
                f"the ledger holds {held - returned} fen of refunds on an order that paid {paid_cents}",
                amount_cents=held - returned,
            )
        )
    signs = {str(LedgerKind.REFUND): 1, str(LedgerKind.REVERSAL): -1}
    on_chains = sum(signs.get(_kind_of(e) or "", 0) * (_amount(e) or 0) for e in events if moved(e))
    if on_chains > paid_cents:
        found.append(
            Finding(
                "refunded_past_paid",
                f"the cases' timelines refunded {on_chains} fen of an order that paid {paid_cents}",
                event_amount_cents=on_chains,
            )
        )
    return found


def _event_finding(problem: str, event: CaseEvent, key: Any, amount: int | None, row: LedgerEntry | None) -> Finding:
    said = f"{event.type} (event {event.seq} of case {event.case_id}, {amount} fen, key {key})"
    messages = {
        "event_without_move": f"{said} has no move on the order's ledger",
        "event_of_another_move": f"{said} names a {row.kind if row else ''} of case {row.case_id if row else ''}",
        "event_of_unsettled_move": f"{said}, but the ledger has that move {row.status if row else ''}",
        "amount_differs": f"{said}, but the ledger moved {row.amount_cents if row else ''} fen",
    }
    return Finding(
        problem,
        messages[problem],
        key if isinstance(key, str) else None,
        event.case_id,
        row.amount_cents if row else None,
        amount,
        event.seq,
    )
