"""Bounded histories: a case that collects many messages, evidence, tracking events or T-AGENT reminders continues
as new with its whole state (`messages.CarriedCase`) before Temporal's limits come near.

After every recorded step the case asks `history_full`: its run's history has `CaseInput.history_events_limit`
events or more (fixed when the case opens, `AFTERSALES_HISTORY_EVENTS_LIMIT`), or the server suggests continuing
(4 096 events, 4 MB or 1 800 updates by default). The length is the one at the start of the workflow task, so a
burst of commands handled in one task may pass the limit by that burst; the next step hands on. Then the case's main
loop waits until no update handler runs and continues as new: same workflow id `case-<id>`, a new run id. Nothing of
the opening runs again; a running wait resumes at the same deadline (deadlines are instants); money moves and
remedy calls number their business keys on from where the run stopped.

Temporal deduplicates an update id only within one run, so the ids the API names a command by for good (an
action's `Idempotency-Key`, an evidence id) are remembered and carried too: the same update sent to a later run is
answered with the case's status and not applied again. Tracking events need no such memory: the goods' journey
carries the events it has seen.
"""

from dataclasses import dataclass, field

from temporalio import workflow

PATCH = "history-continues-as-new"  # before it, a case's history grew for as long as the case stayed open
KEYED_UPDATES = ("request-", "evidence-")  # ids the API derives from a request (api/routes/cases.py, case_workflow.py)
UPDATE_IDS_KEPT = 1000  # the newest keyed update ids a run hands on; a retry comes long before 1 000 more updates


def history_full(limit: int) -> bool:
    """Whether this run's history has reached `limit` events, or the server suggests continuing as new."""
    info = workflow.info()
    return info.get_current_history_length() >= limit or info.is_continue_as_new_suggested()


def current_update_id() -> str | None:
    info = workflow.current_update_info()
    return info.id if info is not None else None


@dataclass
class UpdateIds:
    """The keyed update ids applied by earlier runs (`before`) and by this one (`now`)."""

    before: tuple[str, ...] = ()
    now: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._before = frozenset(self.before)

    def applied_before(self, update_id: str | None) -> bool:
        """An update an earlier run applied: this run must not apply it again."""
        return update_id is not None and update_id in self._before

    def remember(self, update_id: str | None) -> None:
        if update_id is not None and update_id.startswith(KEYED_UPDATES):
            self.now.append(update_id)

    def carried(self) -> tuple[str, ...]:
        return (*self.before, *self.now)[-UPDATE_IDS_KEPT:]
