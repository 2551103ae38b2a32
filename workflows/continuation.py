"""Bounded histories: a case that collects many messages, evidence, tracking events or T-AGENT reminders continues
as new with its whole state (`state.CaseState`, handed on as it is) before Temporal's limits come near.

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

from temporalio import workflow

from workflows.messages import CarriedCase
from workflows.state import (
    CaseState,
    Chain,
    ExceptionState,
    MoneyState,
    OverrideState,
    Position,
    RemedyState,
)
from workflows.story import CaseStory

PATCH = "history-continues-as-new"  # before it, a case's history grew for as long as the case stayed open
KEYED_UPDATES = ("request-", "evidence-")  # ids the API derives from a request (api/routes/cases.py, case_workflow.py)


def history_full(limit: int) -> bool:
    """Whether this run's history has reached `limit` events, or the server suggests continuing as new."""
    info = workflow.info()
    return info.get_current_history_length() >= limit or info.is_continue_as_new_suggested()


def current_update_id() -> str | None:
    info = workflow.current_update_info()
    return info.id if info is not None else None


def applied_before(applied: list[str]) -> bool:
    """The update in hand is one the API named for good that the case applied already: not applied again."""
    update_id = current_update_id()
    return update_id is not None and update_id in applied


def remember(state: CaseState) -> None:
    update_id = current_update_id()
    if update_id is not None and update_id.startswith(KEYED_UPDATES):
        state.remember(update_id)


def resumed(carried: CarriedCase) -> CaseState:
    """The state a run of before the one carried state handed on, as one `CaseState`."""
    calls = carried.remedy_calls
    position = Position(
        status=carried.status,
        deadline=carried.deadline,
        wait=carried.wait,
        decision=carried.decision,
        proposal=carried.proposal,
        urgent=carried.urgent,
        asked=carried.asked,
        extended=carried.extended,
        closed_at=carried.closed_at,
    )
    remedies = RemedyState(
        reship=calls.get("reship", 0),
        intercept=calls.get("intercept", 0),
        parcel=calls.get("parcel", 0),
        stock=calls.get("stock", 0),
        intercept_refund_cents=carried.intercept_refund_cents,
    )
    return CaseState(
        position=position,
        chain=Chain(carried.seq, list(carried.anchor)),
        money=MoneyState(carried.money_moves, carried.refundable, carried.refunded_here, carried.coupons_here),
        goods=carried.goods,
        remedies=remedies,
        exceptions=ExceptionState(carried.menu),
        override=OverrideState(carried.overridden),
        story=CaseStory.resumed(carried.story),
        applied=list(carried.update_ids),
        opened=True,
        runs=carried.runs,
    )
