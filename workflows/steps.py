"""The one way a flow of the case workflow moves the case and puts a step on its timeline.

`CaseSteps` owns the case's position (status, wait, deadline, decision, proposal, urgency) and its chain: a flow
says where the case now waits (`wait_on`, `close`) and what to record (`record`), and calls the outside world
through it (`carry_out` a remedy, `facts`). Recording stores the events and the position in one activity
(`activities/recording.py`), keeps each event's hash as the chain's anchor, and publishes the search attributes and
the UI's details.
"""

import dataclasses
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

from rulebook import deadlines, packets, transitions
from rulebook.decisions import Decision
from rulebook.enums import CaseKind, CaseStatus, Role
from rulebook.facts import CaseFacts
from workflows import continuation, system_evidence, visibility
from workflows import search_attributes as sa
from workflows.divergence import TIMELINE_DIVERGED, DivergenceNote
from workflows.messages import (
    PLATFORM_ID,
    CaseInput,
    CaseShipment,
    DecisionPacket,
    EventDraft,
    Projection,
    StepRecord,
)
from workflows.order_lock_messages import CaseLockRelease
from workflows.remedy_messages import REMEDY_ZH, RemedyCall, RemedyReceipt
from workflows.state import CaseState, Position
from workflows.story import View, details

with workflow.unsafe.imports_passed_through():
    from activities.facts import FactsActivities
    from activities.order_locks import OrderLocks
    from activities.recording import CaseRecorder
    from activities.remedies import RemedyActivities

ACTIVITY_TIMEOUT = timedelta(seconds=30)
REMEDY_HEARTBEAT_TIMEOUT = timedelta(seconds=5)  # a worker that dies mid-remedy is noticed in 5 s, as for money
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))
DURABLE_STEPS_PATCH = "steps-recorded-durably"  # before it, a step was stored by a local activity
LOCK_RELEASE_PATCH = "oversold-lock-lifts-on-close"  # before it, only the merchant's remedy unlocked the order
# Before it, a person's decision (an approval, an accepted proposal, an agent's ruling or override, a `resolve`)
# loaded no facts and its event named no decision packet; the platform's own decisions need no patch (the facts
# are in hand, and a packet is data of the event).
PACKETS_PATCH = "decision-packets"


class CaseSteps:
    def __init__(self, case: CaseInput, state: CaseState) -> None:
        self.case = case
        self._state = state
        self.continue_due = False  # the history is long: the main loop hands the case on to a new run
        self._packets: dict[str, DecisionPacket] = {}  # drafted with their events, stored with them

    @property
    def at(self) -> Position:
        return self._state.position

    @property
    def status(self) -> CaseStatus:
        return self._state.position.status

    # --- where the case waits ------------------------------------------------------------------------------

    def wait_on(self, status: CaseStatus, wait: timedelta) -> None:
        """The case now waits in `status` for `wait` (paused days and holidays added by the deadline policy)."""
        at = self.at
        at.asked = None  # any new wait ends a request for evidence (a new request starts its own after)
        at.wait = deadlines.start(status, workflow.now(), wait, self.case.deadlines)
        at.status, at.deadline = status, at.wait.deadline
        at.version += 1

    def close(self, status: CaseStatus) -> None:
        at = self.at
        at.asked = None
        at.status, at.deadline = status, None
        at.closed_at = workflow.now()
        at.version += 1

    def raise_urgency(self) -> None:
        self.at.urgent = True

    def deadline_iso(self) -> str | None:
        return self.at.deadline.isoformat() if self.at.deadline else None

    def now_waiting(self) -> dict[str, object]:
        return {"case_status": self.status, "deadline": self.deadline_iso()}

    # --- the timeline -------------------------------------------------------------------------------------------

    def event(self, type: str, role: str, actor_id: str, data: Mapping[str, object]) -> EventDraft:
        return EventDraft(type, role, actor_id, workflow.now(), dict(data))

    def system(self, type: str, data: Mapping[str, object]) -> EventDraft:
        return self.event(type, Role.SYSTEM, PLATFORM_ID, data)

    async def record(self, *events: EventDraft, shipments: tuple[CaseShipment, ...] = ()) -> None:
        """Stores the events and the position after them; a step another run stored first (a reset) hands the case
        to an agent with the divergence on the timeline instead."""
        if self.case.kind == CaseKind.OVERSOLD and self.status.is_final and workflow.patched(LOCK_RELEASE_PATCH):
            events = await self._release_order_lock(events)
        events = system_evidence.attached(self.case.case_id, events)
        chain = self._state.chain
        carried = self._carried_packets(events)
        step = StepRecord(self.case.case_id, chain.seq + 1, tuple(events), self._projection(), shipments, carried)
        try:
            hashes = await self._store(step, visibility.step_summary(events))
        except ActivityError as failed:
            if not (isinstance(failed.cause, ApplicationError) and failed.cause.type == TIMELINE_DIVERGED):
                raise
            await self._diverged(step)
            return
        chain.anchor.extend(hashes or [None] * len(events))  # steps recorded before the anchor existed: unknown
        chain.seq += len(events)
        self.publish(events)
        self.history_due()

    # --- decision packets (rulebook/packets.py) ---------------------------------------------------------------

    def rules_packet(self, facts: CaseFacts, decision: Decision, entry_point: str) -> str:
        """The packet of a decision the rule book made on `facts` through `entry_point`; answers its SHA-256, which
        the decision's event carries. The packet is stored with that event."""
        return self._packet(facts, decision, Role.SYSTEM, PLATFORM_ID, entry_point, "decision_made", {})

    async def person_packet(
        self,
        decision: Decision,
        role: str,
        actor_id: str,
        event_type: str = "decision_made",
        extra: Mapping[str, object] | None = None,
        facts: CaseFacts | None = None,
    ) -> str | None:
        """The packet of a person's decision, with what the rules recommended on the facts as they stand (loaded
        here, once, unless given). None on the replay of a case that decided before packets existed."""
        facts = facts or await self.person_facts()
        if facts is None:
            return None
        return self._packet(facts, decision, role, actor_id, None, event_type, extra or {})

    async def person_facts(self) -> CaseFacts | None:
        """The facts a person's decision is made on, loaded at the decision, before its events are drafted (so they
        keep one instant); None on the replay of a case that decided before packets existed."""
        if not workflow.patched(PACKETS_PATCH):
            return None
        return await self.facts()

    def _packet(
        self,
        facts: CaseFacts,
        decision: Decision,
        role: str,
        actor_id: str,
        entry_point: str | None,
        event_type: str,
        extra: Mapping[str, object],
    ) -> str:
        body = packets.build(
            case_id=self.case.case_id,
            facts=facts,
            decision=decision,
            role=role,
            actor_id=actor_id,
            at=workflow.now(),
            entry_point=entry_point,
            deadlines=self.case.deadlines,
            event_type=event_type,
            extra=extra,
        )
        sha = packets.sha256(body)
        self._packets[sha] = DecisionPacket(sha, body)
        return sha

    def _carried_packets(self, events: tuple[EventDraft, ...]) -> tuple[DecisionPacket, ...]:
        """The drafted packets the step's events name: they are stored in the step's transaction."""
        named = [str(e.data["packet_sha256"]) for e in events if e.data.get("packet_sha256")]
        return tuple(self._packets.pop(sha) for sha in named if sha in self._packets)

    async def _release_order_lock(self, events: tuple[EventDraft, ...]) -> tuple[EventDraft, ...]:
        """An oversold case closing by any path lifts its order's lock (or cancels an order refunded in full); what
        changed goes on the timeline before the closing."""
        release = CaseLockRelease(self.case.case_id, self.case.order_id)
        released = await workflow.execute_activity_method(
            OrderLocks.release_case_lock,
            release,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
            summary="结案:解除订单锁定(超卖)",
        )
        if released.event_type is None:
            return events
        said = self.system(released.event_type, {"order_id": released.order_id, "outcome": released.outcome})
        closing = len(events) - 1 if events and events[-1].type == "case_closed" else len(events)
        return (*events[:closing], said, *events[closing:])

    async def _store(self, step: StepRecord, summary: str) -> list[str]:
        # A regular activity, not a local one: a local activity writes during the workflow task, so a task that then
        # fails to complete leaves its events stored while the retried task may handle the updates in another order
        # and number a different event `first_seq`. Scheduling a regular activity is part of the task's completion:
        # a failed task schedules nothing, and the step's seq and events are fixed in the history before anything
        # is written.
        if workflow.patched(DURABLE_STEPS_PATCH):
            return await workflow.execute_activity_method(
                CaseRecorder.record_step,
                step,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=RETRY,
                summary=summary,
            )
        return await workflow.execute_local_activity_method(
            CaseRecorder.record_step, step, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY, summary=summary
        )

    async def _diverged(self, step: StepRecord) -> None:
        """Another run stored this seq (the case was reset, README "What `temporal workflow reset` does to a
        case"): this run's step is not the timeline's. The divergence goes on at the stored head, the case to an
        agent, and the chain numbers on from there; a command that made the step is refused."""
        self.wait_on(CaseStatus.IN_ARBITRATION, self.case.timers.agent)
        self.raise_urgency()
        assert self.at.deadline is not None
        attempted = tuple(event.type for event in step.events)
        run_id, first = workflow.info().run_id, step.first_seq
        note = DivergenceNote(self.case.case_id, run_id, first, attempted, workflow.now(), self.at.deadline)
        stored = await workflow.execute_activity_method(
            CaseRecorder.record_divergence,
            note,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
            summary="时间线已由另一运行写入:记录分歧,转客服",
        )
        chain = self._state.chain
        chain.anchor.extend(stored.hashes or [None] * (stored.seq - chain.seq))
        chain.seq = stored.seq
        self.publish()
        if workflow.current_update_info() is not None:
            message = "the case was reset: its timeline holds another run's steps, and an agent takes it from here"
            raise ApplicationError(message, {"status": self.status}, type="invalid_state")

    def history_due(self) -> bool:
        """Whether this run's history is long enough to hand the case on; asked after every recorded step."""
        if not self.continue_due and continuation.history_full(self.case.history_events_limit):
            self.continue_due = workflow.patched(continuation.PATCH)
        return self.continue_due

    def _projection(self) -> Projection:
        at = self.at
        awaiting = transitions.AWAITING[at.status]
        return Projection(at.status, awaiting, at.deadline, at.decision, at.proposal, at.urgent, workflow.now())

    # --- the outside world --------------------------------------------------------------------------------------

    async def carry_out(self, call: RemedyCall) -> RemedyReceipt:
        """One fulfilment or courier call, done once for its business key (activities/remedies.py)."""
        return await workflow.execute_activity_method(
            RemedyActivities.carry_out,
            call,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            heartbeat_timeout=REMEDY_HEARTBEAT_TIMEOUT,
            retry_policy=RETRY,
            summary=f"执行补救:{REMEDY_ZH.get(call.action, call.action)}({call.business_key})",
        )

    async def facts(self) -> CaseFacts:
        facts = await workflow.execute_local_activity_method(
            FactsActivities.load_case_facts,
            self.case,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
            summary="读取案件事实:订单、物流、证据、陈述",
        )
        return dataclasses.replace(facts, now=workflow.now())

    # --- what the Temporal UI shows -------------------------------------------------------------------------------

    def publish(self, events: tuple[EventDraft, ...] = ()) -> None:
        """Search attributes and the UI's details, after every stored step (workflows/visibility.py)."""
        story, at, chain = self._state.story, self.at, self._state.chain
        story.add(*events)
        awaiting = transitions.AWAITING[at.status]
        updates: list[SearchAttributeUpdate[Any]] = [
            sa.CASE_STATUS.value_set(at.status),
            sa.AWAITING_PARTY.value_set(awaiting) if awaiting else sa.AWAITING_PARTY.value_unset(),
            sa.DEADLINE_AT.value_set(at.deadline) if at.deadline else sa.DEADLINE_AT.value_unset(),
            sa.URGENT.value_set(at.urgent),
            sa.CHAIN_LENGTH.value_set(chain.seq),
        ]
        if chain.anchor and chain.anchor[-1] is not None:
            updates.append(sa.CHAIN_HEAD.value_set(chain.anchor[-1]))
        view = self.view()
        if workflow.patched(visibility.PATCH):
            updates += visibility.attributes(view, story)
        workflow.upsert_search_attributes(updates)
        workflow.set_current_details(self.details(view))

    def view(self) -> View:
        at = self.at
        return View(self.case, at.status, at.deadline, at.urgent, at.decision, self._state.money.refundable)

    def details(self, view: View) -> str:
        return details(view, self._state.story, visibility.title(view))
