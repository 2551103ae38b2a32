"""The case workflow: one per case, id `case-<case_id>`. A conductor: it holds the case's one state
(`workflows/state.py`), takes commands as updates and hands each to the flow it belongs to, sleeps until the running
wait runs out, and hands the case on to a new run when its history grows long. The flows decide what to record and
where the case waits next; the rule book decides the rest.

| flow | module | owns |
| --- | --- | --- |
| steps: position and timeline | `steps.py` | status, wait, decision, proposal, the chain |
| opening | `opening.py` | – |
| the parties' commands | `parties.py` | – |
| decisions carried out | `decisions.py` | – |
| money | `money.py` | business keys, what the case moved |
| remedies | `remedies.py` | each remedy's calls |
| the goods' way back | `returns.py` | `Goods` |
| order exceptions and their menu | `exceptions.py` | the menu |
| deadlines and the extension | `waits.py` | – |
| evidence requests | `evidence_requests.py` | – |
| the agent's override | `override.py` | whether it was overridden |
| continuation | `continuation.py` | – |

Commands are applied one at a time under one lock, so the timeline has a single writer and a reply racing the
deadline has one outcome.
"""

import asyncio
import dataclasses
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from rulebook.enums import CaseStatus, Role, ShipmentDirection
from workflows import agent_desk, continuation, ending
from workflows.decisions import DecisionFlow
from workflows.evidence_requests import EvidenceAsks
from workflows.exceptions import ExceptionDesk
from workflows.messages import ActionRequest, CaseInput, ChainAnchor, EvidenceAdded, TrackingUpdate
from workflows.money import MoneyFlow
from workflows.opening import Opening
from workflows.override import OVERRIDE_PATCH, OverrideDesk
from workflows.parties import PartyCommands
from workflows.remedies import RemedyFlows
from workflows.returns import GoodsJourney
from workflows.state import CaseState
from workflows.steps import ACTIVITY_TIMEOUT, RETRY, CaseSteps
from workflows.visibility import override_window_summary, timer_summary
from workflows.waits import Waits

with workflow.unsafe.imports_passed_through():
    from activities.closing import CaseCloser

EVIDENCE_WAIT_PATCH = "evidence-request-waits"  # before it, the agents' request for evidence moved no deadline
# Before it, a case whose last step looked final while an effect still fell short ended its workflow with the case
# waiting on an agent; now the workflow waits with it.
OPEN_WHILE_WAITING_PATCH = "open-while-waiting"


@workflow.defn
class CaseWorkflow:
    @workflow.init
    def __init__(self, case: CaseInput) -> None:
        state = case.state or (continuation.resumed(case.carried) if case.carried else CaseState())
        self._case = dataclasses.replace(case, carried=None, state=None)  # the state is the workflow's
        self._state = state
        self._lock = asyncio.Lock()
        steps = self._steps = CaseSteps(self._case, state)
        money = MoneyFlow(steps, state.money)
        self._goods = GoodsJourney(steps, state.goods, money)
        self._remedies = RemedyFlows(steps, state.remedies, money, follow=self._goods.follow)
        decisions = DecisionFlow(steps, money, self._remedies, self._goods)
        self._exceptions = ExceptionDesk(steps, state.exceptions, money, self._remedies)
        self._asks = EvidenceAsks(steps)
        self._waits = Waits(steps, self._asks, self._goods, decisions)
        self._opening = Opening(steps, decisions, money, self._remedies, self._exceptions)
        self._override = OverrideDesk(steps, state.override, money)
        self._commands = PartyCommands(steps, decisions, self._asks, self._goods, self._exceptions, self._waits, money)

    @workflow.run
    async def run(self, case: CaseInput) -> CaseStatus:
        try:
            if not self._state.opened:
                async with self._lock:
                    await self._opening.open()
                    self._state.opened = True
            else:
                workflow.set_current_details(self._steps.details(self._steps.view()))
            await self._until_closed()
            cancelled = self._steps.status == CaseStatus.CANCELLED  # an agent's `cancel`: no override after it
            if not cancelled and self._override.decided_by_platform() and workflow.patched(OVERRIDE_PATCH):
                await self._override_window()
                await self._until_closed()  # an override whose money fell short waits on an agent again
            await self._until_settled()
        except asyncio.CancelledError:
            if not workflow.patched(ending.CANCEL_PATCH):
                raise
            await self._close_cancelled()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._steps.status

    async def _until_closed(self) -> None:
        while not self._steps.status.is_final:
            if self._steps.history_due():
                await self._continue_as_new()
            await self._wait_for_move_or_deadline()

    async def _until_settled(self) -> None:
        """Ends only once the case is final with every effect settled: one that fell short after the case looked
        closed (a refund the ledger refused) hands it back to its waiting party, and the workflow waits with it."""
        await workflow.wait_condition(workflow.all_handlers_finished)
        while not self._steps.status.is_final and workflow.patched(OPEN_WHILE_WAITING_PATCH):
            await self._until_closed()
            await workflow.wait_condition(workflow.all_handlers_finished)

    async def _wait_for_move_or_deadline(self) -> None:
        at = self._steps.at
        version = at.version
        moved = lambda: at.version != version or self._steps.continue_due  # noqa: E731
        wake_at = self._goods.wake_at()
        if wake_at is None:
            await workflow.wait_condition(moved)
            return
        remaining = wake_at - workflow.now()
        if remaining > timedelta(0):
            try:
                summary = timer_summary(at.status, remaining)
                await workflow.wait_condition(moved, timeout=remaining, timeout_summary=summary)
                return
            except TimeoutError:
                pass
        async with self._lock:
            if at.version == version:
                await (self._goods.warn_buyer() if self._goods.warning_due() else self._waits.ran_out())

    # --- bounded history: the case continues as new with its one state (workflows/continuation.py) ------------

    async def _continue_as_new(self) -> None:
        """At a safe point: no update handler runs, so every step is whole and the state handed on is the case's."""
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._steps.status.is_final:  # the last handler closed it: this run ends it as usual
            return
        self._state.runs += 1
        workflow.continue_as_new(dataclasses.replace(self._case, state=self._state))

    def _repeated(self) -> bool:
        """An update the API named for good that this case applied already (in an earlier run): not applied again."""
        return continuation.applied_before(self._state.applied)

    def _remember(self) -> None:
        continuation.remember(self._state)

    @workflow.query
    def chain(self) -> ChainAnchor:
        """The hash of every event of the timeline as it was stored (`/verify` checks the database against it)."""
        anchor = self._state.chain.anchor
        known = tuple(h for h in anchor if h is not None)
        return ChainAnchor(known if len(known) == len(anchor) else (), len(known) == len(anchor))

    @workflow.query
    def state(self) -> CaseState:
        """The case's whole state, as a run hands it on."""
        return self._state

    # --- the opening, and the API's commands ---------------------------------------------------------------------

    @agent_desk.service_update(agent_desk.OPENED_HELP)
    async def opened(self) -> CaseStatus:
        """Returns once the case is stored as opened (and decided at once where the rule book says so)."""
        await workflow.wait_condition(lambda: self._state.opened)
        return self._steps.status

    @agent_desk.service_update(agent_desk.ACT_HELP)
    async def act(self, request: ActionRequest) -> CaseStatus:
        return await self._act(request)

    @act.validator
    def _validate_act(self, request: ActionRequest) -> None:
        if not self._repeated() and self._state.opened:
            self._check(request)

    async def _act(self, request: ActionRequest) -> CaseStatus:
        if self._repeated():
            return self._steps.status
        await self._until_opened()
        async with self._lock:
            self._check(request)  # again: an earlier command may have moved the case since validation
            await self._commands.handle(request)
            self._remember()
            return self._steps.status

    def _check(self, request: ActionRequest) -> None:
        self._check_open()
        self._commands.check(request)

    async def _until_opened(self) -> None:
        """A command sent while the opening is being stored waits for it rather than being refused."""
        await workflow.wait_condition(lambda: self._state.opened)

    def _check_open(self) -> None:
        status = self._steps.status
        if not self._state.opened:
            raise ApplicationError("the case is still opening", {"status": status}, type="invalid_state")
        if status.is_final:
            raise ApplicationError(f"the case is {status}", {"status": status}, type="invalid_state")

    @agent_desk.service_update(agent_desk.ADD_EVIDENCE_HELP)
    async def add_evidence(self, added: EvidenceAdded) -> CaseStatus:
        if self._repeated():
            return self._steps.status
        await self._until_opened()
        async with self._lock:
            self._check_open()
            data = dataclasses.asdict(added)
            role, actor_id = data.pop("role"), data.pop("actor_id")
            added_event = self._steps.event("evidence_added", role, actor_id, data)
            if self._asks.answered_by(role):
                await self._asks.answered(added_event, "evidence")
            else:
                await self._steps.record(added_event)
            if added.role == Role.BUYER and self._steps.status == CaseStatus.AWAITING_MERCHANT:
                await self._opening.decide_at_once()
            self._remember()
            return self._steps.status

    @add_evidence.validator
    def _validate_evidence(self, added: EvidenceAdded) -> None:
        if not self._repeated() and self._state.opened:
            self._check_open()

    @agent_desk.service_update(agent_desk.TRACKING_HELP)
    async def tracking(self, update: TrackingUpdate) -> CaseStatus:
        """A logistics event of the case's return, replacement or intercepted parcel; the same event twice changes
        nothing."""
        async with self._lock:
            self._check_open()
            direction = self._goods.take_tracking(update)
            if direction == ShipmentDirection.OUTBOUND:  # the order's own parcel, intercepted (remedies.py)
                event = self._goods.tracking_event(update, direction)
                await self._remedies.on_intercepted_tracking(update, event)
            elif direction is not None:
                await self._goods.on_tracking(update, direction)
            return self._steps.status

    @tracking.validator
    def _validate_tracking(self, update: TrackingUpdate) -> None:
        self._check_open()
        self._goods.check_tracking(update)

    # --- the agent's typed commands (the Temporal UI's update dialog; workflows/agent_desk.py) -----------

    @workflow.update(name="decide", description=agent_desk.DECIDE_HELP)
    async def agent_decide(self, ruling: agent_desk.AgentDecision) -> CaseStatus:
        return await self._act(agent_desk.decision(ruling))

    @agent_decide.validator
    def _validate_agent_decide(self, ruling: agent_desk.AgentDecision) -> None:
        agent_desk.check_decision(ruling)
        self._check(agent_desk.decision(ruling))

    @workflow.update(name="message", description=agent_desk.MESSAGE_HELP)
    async def agent_message(self, said: agent_desk.AgentMessage) -> CaseStatus:
        return await self._act(agent_desk.message(said))

    @agent_message.validator
    def _validate_agent_message(self, said: agent_desk.AgentMessage) -> None:
        self._check(agent_desk.message(said))

    @workflow.update(name="request_evidence", description=agent_desk.REQUEST_EVIDENCE_HELP)
    async def request_evidence(self, request: agent_desk.EvidenceRequest) -> CaseStatus:
        async with self._lock:
            self._check_open()
            data = agent_desk.evidence_request_data(request)
            if workflow.patched(EVIDENCE_WAIT_PATCH):  # the same wait as the API's `request_evidence`
                asked = agent_desk.evidence_action(request)
                self._check(asked)
                await self._asks.request(asked)
                return self._steps.status
            steps = self._steps
            await steps.record(steps.event("evidence_requested", Role.AGENT, request.agent_id, data))
            return steps.status

    @request_evidence.validator
    def _validate_request_evidence(self, request: agent_desk.EvidenceRequest) -> None:
        self._check_open()
        agent_desk.evidence_request_data(request)
        self._check(agent_desk.evidence_action(request))

    @workflow.update(name="reassign", description=agent_desk.REASSIGN_HELP)
    async def reassign(self, handover: agent_desk.Reassignment) -> CaseStatus:
        async with self._lock:
            self._check_open()
            data = agent_desk.reassignment_data(handover)
            await self._steps.record(self._steps.event("reassigned", Role.AGENT, handover.agent_id, data))
            return self._steps.status

    @reassign.validator
    def _validate_reassign(self, handover: agent_desk.Reassignment) -> None:
        self._check_open()
        agent_desk.reassignment_data(handover)

    @workflow.update(name="override", description=agent_desk.OVERRIDE_HELP)
    async def override(self, ruling: agent_desk.Override) -> CaseStatus:
        async with self._lock:
            self._override.check(ruling)
            await self._override.override(ruling)
            return self._steps.status

    @override.validator
    def _validate_override(self, ruling: agent_desk.Override) -> None:
        self._override.check(ruling)

    async def _override_window(self) -> None:
        """The case is closed by the platform's own decision: an agent may still override it for a while."""
        try:
            overridden = lambda: self._override.overridden  # noqa: E731
            window = self._case.timers.override
            await workflow.wait_condition(overridden, timeout=window, timeout_summary=override_window_summary(window))
        except TimeoutError:
            pass

    # --- ending from outside: an agent's `cancel`, the Temporal UI's cancel (workflows/ending.py) ---------------

    @workflow.update(name="cancel", description=agent_desk.CANCEL_HELP)
    async def cancel(self, cancel: agent_desk.Cancellation) -> CaseStatus:
        """An agent closes the case `cancelled` with who and why; the workflow then completes."""
        by, reason = agent_desk.cancellation(cancel)
        await self._until_opened()
        self._check_open()
        await self._close_cancelled(by, reason)
        return self._steps.status

    @cancel.validator
    def _validate_cancel(self, cancel: agent_desk.Cancellation) -> None:
        self._check_open()
        agent_desk.cancellation(cancel)

    async def _close_cancelled(self, by: str = "", reason: str = "") -> None:
        """A cancel request (or an agent's `cancel`) closes the case `cancelled`, once the step in hand is stored."""
        async with self._lock:
            if self._steps.status.is_final:
                return
            info = workflow.info()
            closing = ending.CaseEnding(
                self._case.case_id, info.workflow_id, info.run_id, workflow.now(), by=by, reason=reason
            )
            closed = await workflow.execute_activity_method(
                CaseCloser.close_cancelled,
                closing,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=RETRY,
                summary="取消请求:结案为已取消",
            )
            self._steps.close(closed.status)
            self._state.opened = True  # an `opened` update still waiting gets its answer
            said = {"by": closed.by, "reason": closed.reason}
            self._steps.publish((self._steps.event("case_cancelled", Role.AGENT, closed.by, said),))
