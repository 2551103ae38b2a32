"""The business counters: cases opened, the platform stepping in when a wait runs out, decisions, money moved,
steps refused because another run wrote the timeline.

They are counted where the effect is recorded, by the worker's activities, once the transaction that stored it has
committed and only by the attempt that stored it (a retried step or payment finds its rows there and counts
nothing), and they are served on the worker's `/metrics` beside the SDK's own metrics (`telemetry/runtime.py`).
Each worker counts what it stored; Prometheus adds the workers up (`sum by (kind) (rate(...))`) and its `rate`
takes a restarted worker's reset in its stride. A worker dying between the commit and the count misses one, which
a counter may; the timeline and the ledger stay the exact record.

Deriving them from the database at scrape time was the other way: exact across restarts, but every scrape of
every process would aggregate the whole timeline, and each API process would report the same totals.
"""

from collections.abc import Iterable

from temporalio.common import MetricMeter

from models.ledger import LedgerEntry, LedgerStatus
from models.timeline import CaseEvent


class CaseCounters:
    def __init__(self, meter: MetricMeter = MetricMeter.noop) -> None:
        self._opened = meter.create_counter("aftersales_cases_opened", "Cases opened, by kind")
        self._step_ins = meter.create_counter(
            "aftersales_platform_step_ins",
            "Waits that ran out and the platform stepped in, by whom it waited on and what it did then "
            "(`platform_steps_in` is R-TIMEOUT on a silent merchant)",
        )
        self._decisions = meter.create_counter(
            "aftersales_decisions", "Decisions on cases, by who decided (agent, merchant, system), outcome and rule"
        )
        self._overrides = meter.create_counter(
            "aftersales_decisions_overridden", "Agents' overrides of the platform's own decisions, by new outcome"
        )
        self._divergences = meter.create_counter(
            "aftersales_timeline_divergences",
            "Steps refused because another run of the case stored the events they number (a reset run), by kind",
        )
        self._moves = meter.create_counter("aftersales_money_moves", "Money moves settled, by kind and status")
        self._cents = meter.create_counter(
            "aftersales_money_moved_cents",
            "Fen of settled money moves, by kind and status: what the ledger granted (asked, when it refused)",
        )

    def recorded(self, case_kind: str, events: Iterable[CaseEvent]) -> None:
        """Counts the events a step has just stored."""
        for event in events:
            data = event.data
            if event.type == "case_opened":
                self._opened.add(1, {"kind": str(case_kind)})
            elif event.type == "deadline_passed":
                self._step_ins.add(1, {"waited_on": str(data.get("waited_on")), "then": str(data.get("then"))})
            elif event.type == "decision_made":
                rules = data.get("rules") or ["none"]
                labels = {"by": event.actor_role, "outcome": str(data.get("outcome")), "rule": str(rules[0])}
                self._decisions.add(1, labels)
            elif event.type == "decision_overridden":
                self._overrides.add(1, {"outcome": str(data.get("outcome"))})

    def diverged(self, case_kind: str) -> None:
        """Counts a step the timeline refused: another run stored its seqs (activities/recording.py)."""
        self._divergences.add(1, {"kind": str(case_kind)})

    def settled(self, entry: LedgerEntry) -> None:
        """Counts a ledger row that has just reached its final status."""
        labels = {"kind": str(entry.kind), "status": str(entry.status)}
        self._moves.add(1, labels)
        self._cents.add(entry.asked_cents if entry.status == LedgerStatus.REFUSED else entry.amount_cents, labels)
