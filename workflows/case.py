"""The case workflow: one per case, id `case-<case_id>`. It orchestrates; the rule book decides.

Commands arrive as updates. Each is validated against the rule book's transition table, then applied
under one lock, so the timeline has a single writer and a reply racing the deadline has one outcome.
"""

import asyncio
import contextlib
import dataclasses
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

from rulebook import commands, deadlines, decide, evidence_needs, evidence_requests, exceptions, returns, transitions
from rulebook import override as overriding
from rulebook.decisions import Decision
from rulebook.enums import Action, CaseKind, CaseStatus, Outcome, Resolution, Role, ShipmentState, ShipmentStep
from rulebook.facts import CaseFacts
from rulebook.returns import Stage
from rulebook.timers import TimerId, refund_alert_after
from workflows import agent_desk, continuation, ending, system_evidence, visibility
from workflows import search_attributes as sa
from workflows.evidence_requests import EvidenceAsks, rule_request
from workflows.exceptions import ExceptionDesk
from workflows.exchange_stock import ExchangeStock
from workflows.messages import (
    PLATFORM_ID,
    ActionRequest,
    CarriedCase,
    CaseInput,
    CaseShipment,
    ChainAnchor,
    EventDraft,
    EvidenceAdded,
    Goods,
    MoneyMove,
    MoneyReceipt,
    Projection,
    StepRecord,
    TrackingUpdate,
)
from workflows.not_received import NotReceived
from workflows.remedy_messages import RemedyAction, RemedyCall, RemedyReceipt
from workflows.reshipment import Reshipment
from workflows.resolutions import ParcelRemedies
from workflows.returns import GoodsJourney
from workflows.shipment_steps import CancelFulfilment, Interception, ParcelMove
from workflows.story import CaseStory, View, details

with workflow.unsafe.imports_passed_through():
    from activities.closing import CaseCloser
    from activities.facts import FactsActivities
    from activities.payments import MoneyActivities
    from activities.recording import CaseRecorder
    from activities.remedies import RemedyActivities

ACTIVITY_TIMEOUT = timedelta(seconds=30)
MONEY_HEARTBEAT_TIMEOUT = timedelta(seconds=5)  # a worker that dies mid-payment is noticed in 5 s, not 30 s (WF-04)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))
MONEY_KINDS = {Outcome.REFUND: "refund", Outcome.PARTIAL_REFUND: "refund", Outcome.COUPON: "coupon"}
OVERRIDE_PATCH = "override-window"  # cases closed before it completed at once, with no window to override in
REFUND_WATCH_PATCH = "refund-deadline-watch"  # cases opened before it never started T-REFUND's alert timer
RESHIP_PATCH = "reship-carried-out"  # before it, a decided reshipment closed the case with nothing shipped
STALL_URGE_PATCH = "stall-urges-courier"  # before it, R-STALL paid its coupon and nobody urged the courier
NOT_RECEIVED_PATCH = "not-received-gathers-proof"  # before it, nobody was asked for proof on opening
EXCHANGE_STOCK_PATCH = "exchange-stock-checked"  # before it, an exchange asked for the goods back unchecked
SHIPMENT_STEP_PATCH = "shipment-step-carried-out"  # before it, a cancel or an interception was a label only
EVIDENCE_WAIT_PATCH = "evidence-request-waits"  # before it, a request for evidence moved no deadline
RETURN_ADDRESS_PATCH = "return-goes-somewhere"  # before it, a return granted without an address said "to null"
EVIDENCE_NEEDS_PATCH = "rule-evidence-requested"  # before it, R-EXPIRED's photo was never asked for
INTERCEPT_RULE = "MERCHANT-INTERCEPT"


@workflow.defn
class CaseWorkflow(GoodsJourney, ExceptionDesk):
    @workflow.init
    def __init__(self, case: CaseInput) -> None:
        self._case = case
        self._status = CaseStatus.AWAITING_MERCHANT
        self._deadline: datetime | None = None
        self._wait: deadlines.Wait | None = None  # the running wait: timer, paused time and extension included
        self._extended = False  # the merchant's one extension per case was used
        self._proposal: dict[str, object] | None = None
        self._decision: dict[str, object] | None = None
        self._refundable = case.amount_cents
        self._urgent = case.urgent
        self._seq = 0
        self._money_moves = 0
        self._version = 0
        self._opened = False
        self._goods = Goods()  # return_refund and exchange: the goods' way back (workflows/returns.py)
        self._menu: tuple[Resolution, ...] = ()  # order exceptions: the §7 menu (workflows/exceptions.py)
        self._reshipment = Reshipment(case.case_id, case.order_id)  # workflows/reshipment.py
        self._cancel = CancelFulfilment(case.case_id, case.order_id)  # workflows/shipment_steps.py
        self._interception = Interception(case.case_id, case.order_id)
        self._parcel_remedies = ParcelRemedies(case.case_id, case.order_id)  # workflows/resolutions.py
        self._exchange_stock = ExchangeStock(case.case_id, case.order_id)  # workflows/exchange_stock.py
        self._not_received = NotReceived(case.case_id, case.order_id)  # workflows/not_received.py
        self._asks = EvidenceAsks()  # the request for evidence the case waits on (workflows/evidence_requests.py)
        self._lock = asyncio.Lock()
        self._closed_at: datetime | None = None  # when the case reached a final status (the override window's start)
        self._overridden = False
        self._refunded_here = 0  # what this case's own refunds paid, less reversals
        self._anchor: list[str | None] = []  # each event's hash as stored: the timeline's anchor outside the database
        self._story = CaseStory()  # what the Temporal UI's details tell (workflows/story.py)
        self._updates = continuation.UpdateIds()  # the API's keyed updates applied (workflows/continuation.py)
        self._continue_due = False  # the history is long: the main loop hands the case on to a new run
        self._runs = 1
        if case.carried is not None:
            self._resume(case.carried)
            self._case = dataclasses.replace(case, carried=None)  # the state is the workflow's, not the input's

    @workflow.run
    async def run(self, case: CaseInput) -> CaseStatus:
        try:
            if case.carried is None:
                async with self._lock:
                    await self._open()
            else:
                workflow.set_current_details(self._details(self._view()))
            await self._until_closed()
            if self._decided_by_platform() and workflow.patched(OVERRIDE_PATCH):
                await self._override_window()
                await self._until_closed()  # an override whose money fell short waits on an agent again
        except asyncio.CancelledError:
            if not workflow.patched(ending.CANCEL_PATCH):
                raise
            await self._close_cancelled()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._status

    async def _until_closed(self) -> None:
        while not self._status.is_final:
            if self._history_due():
                await self._continue_as_new()
            await self._wait_for_move_or_deadline()

    # --- bounded history: the case continues as new with its state (workflows/continuation.py) ----------

    def _history_due(self) -> bool:
        """Whether this run's history is long enough to hand the case on; asked after every recorded step."""
        if not self._continue_due and continuation.history_full(self._case.history_events_limit):
            self._continue_due = workflow.patched(continuation.PATCH)
        return self._continue_due

    async def _continue_as_new(self) -> None:
        """At a safe point: no update handler runs, so every step is whole and the state handed on is the case's."""
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._status.is_final:  # the last handler closed it: this run ends it as usual
            return
        carried = dataclasses.replace(self._case, carried=self._carried())
        workflow.continue_as_new(carried)

    def _carried(self) -> CarriedCase:
        return CarriedCase(
            status=self._status,
            deadline=self._deadline,
            wait=self._wait,
            extended=self._extended,
            proposal=self._proposal,
            decision=self._decision,
            refundable=self._refundable,
            urgent=self._urgent,
            seq=self._seq,
            money_moves=self._money_moves,
            remedy_calls={
                "reship": self._reshipment.attempts,
                "intercept": self._interception.attempts,
                "parcel": self._parcel_remedies.attempts,
                "stock": self._exchange_stock.attempts,
            },
            intercept_refund_cents=self._interception.refund_cents,
            goods=self._goods,
            menu=self._menu,
            asked=self._asks.running,
            closed_at=self._closed_at,
            overridden=self._overridden,
            refunded_here=self._refunded_here,
            anchor=tuple(self._anchor),
            story=self._story.carried(),
            update_ids=self._updates.carried(),
            runs=self._runs + 1,
        )

    def _resume(self, carried: CarriedCase) -> None:
        """The state an earlier run handed on; the opening is not run again (its update answers at once)."""
        self._status, self._deadline, self._wait = carried.status, carried.deadline, carried.wait
        self._extended, self._proposal, self._decision = carried.extended, carried.proposal, carried.decision
        self._refundable, self._urgent = carried.refundable, carried.urgent
        self._seq, self._money_moves = carried.seq, carried.money_moves
        calls = carried.remedy_calls
        self._reshipment.attempts, self._interception.attempts = calls.get("reship", 0), calls.get("intercept", 0)
        self._parcel_remedies.attempts, self._exchange_stock.attempts = calls.get("parcel", 0), calls.get("stock", 0)
        self._interception.refund_cents = carried.intercept_refund_cents
        self._goods, self._menu, self._asks = carried.goods, carried.menu, EvidenceAsks(carried.asked)
        self._closed_at, self._overridden = carried.closed_at, carried.overridden
        self._refunded_here, self._anchor = carried.refunded_here, list(carried.anchor)
        self._story = CaseStory.resumed(carried.story)
        self._updates = continuation.UpdateIds(carried.update_ids)
        self._opened, self._runs = True, carried.runs

    def _repeated(self) -> bool:
        """An update the API named for good that an earlier run applied: answered, not applied again."""
        return self._updates.applied_before(continuation.current_update_id())

    @workflow.query
    def chain(self) -> ChainAnchor:
        """The hash of every event of the timeline as it was stored (`/verify` checks the database against it)."""
        known = tuple(h for h in self._anchor if h is not None)
        return ChainAnchor(known if len(known) == len(self._anchor) else (), len(known) == len(self._anchor))

    async def _close_cancelled(self) -> None:
        """A cancel request (the Temporal UI's button) closes the case `cancelled`, once the step in hand is stored."""
        async with self._lock:
            if self._status.is_final:
                return
            info = workflow.info()
            closing = ending.CaseEnding(self._case.case_id, info.workflow_id, info.run_id, workflow.now())
            closed = await workflow.execute_activity_method(
                CaseCloser.close_cancelled,
                closing,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=RETRY,
                summary="取消请求:结案为已取消",
            )
            self._close(closed.status)
            self._opened = True  # an `opened` update still waiting gets its answer
            said = {"by": closed.by, "reason": closed.reason}
            self._publish((self._event("case_cancelled", Role.AGENT, closed.by, said),))

    @workflow.update
    async def opened(self) -> CaseStatus:
        """Returns once the case is stored as opened (and decided at once where the rule book says so)."""
        await workflow.wait_condition(lambda: self._opened)
        return self._status

    @workflow.update
    async def act(self, request: ActionRequest) -> CaseStatus:
        return await self._act(request)

    async def _act(self, request: ActionRequest) -> CaseStatus:
        if self._repeated():
            return self._status
        async with self._lock:
            self._check(request)  # again: an earlier command may have moved the case since validation
            await self._handle(request)
            self._updates.remember(continuation.current_update_id())
            return self._status

    @act.validator
    def _validate_act(self, request: ActionRequest) -> None:
        if not self._repeated():
            self._check(request)

    # --- the agent's typed commands (the Temporal UI's update dialog; workflows/agent_desk.py) -----------

    @workflow.update(name="decide", description=agent_desk.DECIDE_HELP)
    async def agent_decide(self, ruling: agent_desk.AgentDecision) -> CaseStatus:
        return await self._act(agent_desk.decision(ruling))

    @agent_decide.validator
    def _validate_agent_decide(self, ruling: agent_desk.AgentDecision) -> None:
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
                await self._request_evidence(asked)
                return self._status
            await self._record(self._event("evidence_requested", Role.AGENT, request.agent_id, data))
            return self._status

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
            await self._record(self._event("reassigned", Role.AGENT, handover.agent_id, data))
            return self._status

    @reassign.validator
    def _validate_reassign(self, handover: agent_desk.Reassignment) -> None:
        self._check_open()
        agent_desk.reassignment_data(handover)

    @workflow.update(name="override", description=agent_desk.OVERRIDE_HELP)
    async def override(self, ruling: agent_desk.Override) -> CaseStatus:
        async with self._lock:
            self._check_override(ruling)
            await self._override(ruling)
            return self._status

    @override.validator
    def _validate_override(self, ruling: agent_desk.Override) -> None:
        self._check_override(ruling)

    @workflow.update
    async def add_evidence(self, added: EvidenceAdded) -> CaseStatus:
        if self._repeated():
            return self._status
        async with self._lock:
            self._check_open()
            data = dataclasses.asdict(added)
            role, actor_id = data.pop("role"), data.pop("actor_id")
            added_event = self._event("evidence_added", role, actor_id, data)
            if self._asks.answered_by(role, self._status):
                await self._evidence_answered(added_event, "evidence")
            else:
                await self._record(added_event)
            if added.role == Role.BUYER and self._status == CaseStatus.AWAITING_MERCHANT:
                await self._decide_at_once()
            self._updates.remember(continuation.current_update_id())
            return self._status

    @add_evidence.validator
    def _validate_evidence(self, added: EvidenceAdded) -> None:
        if not self._repeated():
            self._check_open()

    async def _decide_at_once(self) -> None:
        """The rules that need no merchant (R-SMALL) often need the buyer's photos, which come after opening."""
        decision = decide.on_open(await self._facts())
        if decision is not None:
            await self._apply(decision, by=Role.SYSTEM)

    # --- an agent's override of the platform's own decision (rulebook/override.py) ------------------------

    def _decided_by_platform(self) -> bool:
        return self._decision is not None and str(self._decision.get("by")) == Role.SYSTEM

    async def _override_window(self) -> None:
        """The case is closed by the platform's own decision: an agent may still override it for a while."""
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: self._overridden, timeout=self._case.timers.override)

    def _check_override(self, ruling: agent_desk.Override) -> None:
        by = str(self._decision.get("by")) if self._decision else None
        case = overriding.Overridable(self._status, by, self._closed_at, self._case.timers.override, self._overridden)
        try:
            overriding.check(case, ruling.outcome, ruling.amount_cents, ruling.rationale, workflow.now())
        except overriding.OverrideRefused as refused:
            raise ApplicationError(refused.message, {"status": self._status}, type=refused.code) from None

    async def _override(self, ruling: agent_desk.Override) -> None:
        """The agent's ruling replaces the platform's. Money already moved stays on the ledger: a refund taken back
        is a new reversal move, more money a new refund or coupon, each capped by the order's ledger."""
        previous = dict(self._decision or {})
        decision = overriding.ruling(ruling.outcome, ruling.amount_cents, self._case.amount_cents, ruling.rationale)
        data = {**dataclasses.asdict(decision), "by": Role.AGENT, "previous": previous}
        events = [self._event("decision_overridden", Role.AGENT, ruling.agent_id, data)]
        carried_out = True
        if decision.outcome == Outcome.REJECT and self._refunded_here > 0:
            receipt = await self._move_money("reversal", self._refunded_here, True, events)
            moved = "refund_reversed" if receipt.complete else f"reversal_{receipt.status}"
            events.append(self._event(moved, Role.SYSTEM, PLATFORM_ID, dataclasses.asdict(receipt)))
            carried_out = receipt.complete
        elif decision.outcome in MONEY_KINDS:
            kind = MONEY_KINDS[decision.outcome]
            asked = decision.amount_cents - (self._refunded_here if decision.outcome == Outcome.REFUND else 0)
            if asked > 0:
                receipt = await self._move_money(kind, asked, decision.outcome == Outcome.REFUND, events)
                done = "refund_executed" if kind == "refund" else "coupon_issued"
                moved = done if receipt.complete else f"{kind}_{receipt.status}"
                events.append(self._event(moved, Role.SYSTEM, PLATFORM_ID, dataclasses.asdict(receipt)))
                carried_out = receipt.complete
        self._decision = {
            "outcome": decision.outcome,
            "amount_cents": decision.amount_cents,
            "by": Role.AGENT,
            "rules": list(decision.rules),
            "rationale": decision.rationale_zh,
            "rationale_en": decision.rationale_en,
            "overrides": previous.get("outcome"),
        }
        if carried_out:
            self._status = overriding.status_after(decision.outcome)
            self._version += 1
        else:  # the ledger or the provider fell short: never closed as done; an agent takes it from here
            self._wait_on(CaseStatus.IN_ARBITRATION, self._case.timers.agent)
        await self._record(*events)
        self._overridden = True  # only now: the window's wait wakes to a case already moved on

    # --- opening and deadlines -------------------------------------------------------------------

    async def _open(self) -> None:
        facts = await self._facts()
        self._refundable = commands.refundable(self._case.amount_cents, facts.paid_cents, facts.refunded_cents)
        urgency = decide.triage(facts)
        self._urgent = urgency.urgent
        self._wait_on(CaseStatus.AWAITING_MERCHANT, self._case.timers.merchant)
        data = {
            "kind": self._case.kind,
            "amount_cents": self._case.amount_cents,
            "reason": self._case.reason,
            "urgent": urgency.urgent,
            "urgent_rules": list(urgency.rules),
            "offer_first": list(urgency.resolutions),
        }
        opener = (Role.BUYER, self._case.buyer_id)
        alert: list[EventDraft] = []
        if exceptions.is_exception(self._case.kind):  # opened by the system's scan; the merchant is alerted
            opener = (Role.SYSTEM, PLATFORM_ID)
            alert = [self._exception_alert(facts, urgency.urgent, self._iso_deadline())]
        relied_on = system_evidence.at_open(self._case.case_id, facts)
        opened = self._event(
            "case_opened", *opener, {**data, "deadline": self._iso_deadline(), "system_evidence": relied_on}
        )
        decision = decide.on_open(facts)
        if decision is None and self._case.kind == CaseKind.NOT_RECEIVED and workflow.patched(NOT_RECEIVED_PATCH):
            alert += await self._gather_delivery_proof()
        if decision is None and workflow.patched(EVIDENCE_NEEDS_PATCH):
            alert += self._rule_requests(facts)
        if decision is None:
            await self._record(opened, *alert)
        else:
            await self._apply(decision, by=Role.SYSTEM, before=[opened])
        self._opened = True

    def _rule_requests(self, facts: CaseFacts) -> list[EventDraft]:
        """The rule book's needs put to the buyer as requests for evidence (rulebook/evidence_needs.py)."""
        asks = [rule_request(n.party, n.what, n.rule, self._iso_deadline()) for n in evidence_needs.on_open(facts)]
        return [self._event("evidence_requested", Role.SYSTEM, PLATFORM_ID, data) for data in asks]

    async def _wait_for_move_or_deadline(self) -> None:
        version = self._version
        wake_at = self._wake_at()
        if wake_at is None:
            await workflow.wait_condition(lambda: self._version != version or self._continue_due)
            return
        remaining = wake_at - workflow.now()
        if remaining > timedelta(0):
            try:
                summary = visibility.timer_summary(self._status, remaining)
                await workflow.wait_condition(
                    lambda: self._version != version or self._continue_due,
                    timeout=remaining,
                    timeout_summary=summary,
                )
                return
            except TimeoutError:
                pass
        async with self._lock:
            if self._version == version:
                await (self._warn_buyer() if self._warning_due() else self._on_deadline())

    async def _on_deadline(self) -> None:
        status = self._status
        if status == CaseStatus.AWAITING_MERCHANT:
            passed = self._deadline_event()
            facts = await self._facts()
            await self._apply(decide.on_merchant_timeout(facts), by=Role.SYSTEM, before=[passed])
        elif status == CaseStatus.AWAITING_BUYER:
            passed = self._deadline_event()
            next_status = commands.after_buyer_silence(self._proposal is not None or self._asks.waiting(status))
            self._proposal = None
            if next_status.is_final:
                self._close(next_status)
            else:
                self._wait_on(next_status, self._case.timers.agent)
            await self._record(passed)
        elif status == CaseStatus.IN_ARBITRATION:  # never decided by default: the agent is reminded, the case raised
            passed = self._deadline_event()
            self._urgent = True
            self._wait_on(CaseStatus.IN_ARBITRATION, self._case.timers.agent)
            reminder = {"timer": "T-AGENT", "raised": True, "next_deadline": self._iso_deadline()}
            await self._record(passed, self._event("agent_reminder", Role.SYSTEM, PLATFORM_ID, reminder))
        elif status in returns.GOODS_WAITS:
            await self._goods_deadline()

    # --- commands -------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if not self._opened:
            raise ApplicationError("the case is still opening", {"status": self._status}, type="invalid_state")
        if self._status.is_final:
            raise ApplicationError(f"the case is {self._status}", {"status": self._status}, type="invalid_state")

    def _check(self, request: ActionRequest) -> None:
        self._check_open()
        try:
            goods_sent = self._goods.stage != Stage.AWAITED
            kind, status, proposed = self._case.kind, self._status, self._proposal is not None
            transitions.check(kind, status, request.action, request.role, proposed, goods_sent)
        except transitions.TransitionRefused as refused:
            raise ApplicationError(refused.message, {"status": self._status}, type=refused.code) from None
        if request.action in returns.GOODS_ACTIONS:
            self._check_goods(request)
        if request.action == Action.RESOLVE:
            self._check_resolution(request)
        if request.action == Action.EXTEND:
            self._check_extension(request)
        if request.action == Action.REQUEST_EVIDENCE:
            self._evidence_ask(request)
        if request.outcome is not None and not commands.carried_out(self._case.kind, request.outcome):
            message = f"{request.outcome} cannot be carried out on a {self._case.kind} case"
            raise ApplicationError(message, {"status": self._status}, type="invalid_request")
        if request.outcome in commands.NEEDS_AMOUNT and request.amount_cents is None:
            message = f"{request.outcome} needs amount_cents"
            raise ApplicationError(message, {"status": self._status}, type="invalid_request")
        if request.amount_cents is not None and request.amount_cents > self._refundable:
            raise ApplicationError(
                f"amount exceeds the refundable {self._refundable} fen", {"status": self._status}, type="invalid_amount"
            )

    async def _handle(self, request: ActionRequest) -> None:
        actor = (request.role, request.actor_id)
        if request.action == Action.MESSAGE:
            said = self._event("message", *actor, {"text": request.message})
            if self._asks.answered_by(request.role, self._status):
                await self._evidence_answered(said, "message")
            else:
                await self._record(said)
        elif request.action == Action.REQUEST_EVIDENCE:
            await self._request_evidence(request)
        elif request.action == Action.APPROVE:
            approved = self._event("merchant_approved", *actor, {"return_address": request.return_address})
            self._goods.return_address = request.return_address
            grant = returns.approval(self._case.kind, self._case.amount_cents, self._refundable)
            await self._apply(grant, request.role, [approved], request.actor_id)
        elif request.action == Action.REJECT:
            self._wait_on(CaseStatus.AWAITING_BUYER, self._case.timers.buyer_reply)
            data = {
                "reason": request.reason,
                "claims": list(request.claims),
                "evidence_ids": list(request.evidence_ids),
            }
            await self._record(self._event("merchant_rejected", *actor, data))
        elif request.action == Action.PROPOSE:
            self._proposal = {
                "outcome": request.outcome,
                "amount_cents": request.amount_cents,
                "message": request.message,
            }
            self._wait_on(CaseStatus.AWAITING_BUYER, self._case.timers.buyer_reply)
            await self._record(self._event("proposal_made", *actor, dict(self._proposal)))
        elif request.action == Action.ACCEPT_PROPOSAL:
            await self._accept_proposal(request)
        elif request.action in (Action.DECLINE_PROPOSAL, Action.ESCALATE):
            event_type = "proposal_declined" if request.action == Action.DECLINE_PROPOSAL else "escalated"
            self._proposal = None
            self._wait_on(CaseStatus.IN_ARBITRATION, self._case.timers.agent)
            await self._record(self._event(event_type, *actor, {"reason": request.reason or request.message}))
        elif request.action == Action.WITHDRAW:
            self._close(CaseStatus.WITHDRAWN)
            await self._record(self._event("withdrawn", *actor, {"reason": request.reason}))
        elif request.action == Action.DECIDE:
            outcome = request.outcome or Outcome.REJECT
            ruling = commands.agent_ruling(outcome, request.amount_cents, request.rationale or "", self._refundable)
            await self._apply(ruling, request.role, actor_id=request.actor_id)
        elif request.action in returns.GOODS_ACTIONS:
            await self._goods_action(request)
        elif request.action == Action.RESOLVE:
            await self._resolve(request)
        elif request.action == Action.EXTEND:
            await self._extend(request)
        elif request.action == Action.INTERCEPT:
            await self._merchant_intercepts(request)

    def _evidence_ask(self, request: ActionRequest) -> evidence_requests.Ask:
        try:
            return evidence_requests.ask(request.role, request.evidence_from, request.message, self._status)
        except evidence_requests.EvidenceRequestRefused as refused:
            raise ApplicationError(refused.message, {"status": self._status}, type="invalid_request") from None

    async def _request_evidence(self, request: ActionRequest) -> None:
        """The case waits on the asked party (T-BUYER-REPLY or T-MERCHANT); both parties are told."""
        asked = self._evidence_ask(request)
        self._wait_on(asked.waits_in, self._case.timers.wait(asked.timer))
        self._asks.start(asked)
        data = EvidenceAsks.requested(asked, self._iso_deadline())
        await self._record(self._event("evidence_requested", request.role, request.actor_id, data))

    async def _evidence_answered(self, answer: EventDraft, how: str) -> None:
        """The asked party's upload or message: the case goes back to where it was, or to the agent who asked."""
        asked = self._asks.running
        assert asked is not None
        self._wait_on(asked.answered_to, EvidenceAsks.wait_of(asked.answered_to, self._case.timers))
        data = EvidenceAsks.answered(asked, how, self._status, self._iso_deadline())
        await self._record(answer, self._event("evidence_answered", Role.SYSTEM, PLATFORM_ID, data))

    async def _accept_proposal(self, request: ActionRequest) -> None:
        proposal = self._proposal or {}
        self._proposal = None
        accepted = self._event("proposal_accepted", request.role, request.actor_id, {"message": request.message})
        amount = proposal.get("amount_cents")
        decision = commands.accepted_proposal(
            Outcome(str(proposal["outcome"])), int(str(amount)) if amount is not None else None, self._refundable
        )
        await self._apply(decision, Role.BUYER, [accepted], request.actor_id)

    def _check_extension(self, request: ActionRequest) -> None:
        cap = self._case.deadlines.extension_max
        try:
            deadlines.check_extension(self._extended, request.extension, request.reason, cap)
        except deadlines.ExtensionRefused as refused:
            raise ApplicationError(refused.message, {"status": self._status}, type=refused.code) from None

    async def _extend(self, request: ActionRequest) -> None:
        """The merchant's one extension: the running wait's deadline moves and the wait is re-armed (not doubled)."""
        assert self._wait is not None and request.extension is not None
        self._wait = deadlines.extend(self._wait, request.extension, request.reason or "", workflow.now())
        self._deadline, self._extended = self._wait.deadline, True
        self._version += 1
        data = deadlines.account(self._wait)
        await self._record(self._event("deadline_extended", request.role, request.actor_id, data))

    # --- decisions and money ----------------------------------------------------------------------

    async def _apply(
        self, decision: Decision, by: Role, before: list[EventDraft] | None = None, actor_id: str = PLATFORM_ID
    ) -> None:
        events = [*(before or []), self._decision_event(decision, by, actor_id)]
        if decision.outcome == Outcome.TO_AGENT:
            self._wait_on(CaseStatus.IN_ARBITRATION, self._case.timers.agent)
            await self._record(*events)
            return
        self._decision = {
            "outcome": decision.outcome,
            "amount_cents": decision.amount_cents,
            "by": by,
            "rules": list(decision.rules),
            "rationale": decision.rationale_zh,
            "rationale_en": decision.rationale_en,
        }
        if decision.outcome == Outcome.RESHIP and workflow.patched(RESHIP_PATCH):
            await self._reship(events)
            return
        if decision.shipment_step is not None and workflow.patched(SHIPMENT_STEP_PATCH):
            if decision.shipment_step == ShipmentStep.INTERCEPT_PARCEL:
                await self._intercept(decision.amount_cents, events)
                return
            if not await self._cancel_fulfilment(events):
                return
        goods_step = returns.after_grant(self._case.kind, decision.outcome, self._goods.stage)
        if goods_step is not None:
            asks_goods_back = goods_step.status == CaseStatus.AWAITING_RETURN_SHIPMENT
            if (
                asks_goods_back
                and not self._goods.return_address
                and workflow.patched(RETURN_ADDRESS_PATCH)
                and not await self._shop_return_address(events)
            ):
                return
            if (
                decision.outcome == Outcome.EXCHANGE
                and asks_goods_back
                and workflow.patched(EXCHANGE_STOCK_PATCH)
                and not await self._replacement_in_stock(events)
            ):
                return
            await self._grant_goods(decision, goods_step, events)
            return
        if (
            Resolution.URGE_COURIER_COUPON in decision.resolutions
            and self._case.kind == CaseKind.LOGISTICS_STALLED
            and workflow.patched(STALL_URGE_PATCH)
            and not await self._parcel_remedy(RemedyAction.URGE, events)
        ):
            return  # R-STALL: the courier is urged before the coupon; refused for good → an agent
        if decision.outcome in MONEY_KINDS and decision.amount_cents > 0:
            kind = MONEY_KINDS[decision.outcome]
            may_cap = decision.outcome != Outcome.PARTIAL_REFUND  # a named partial amount is paid whole or not at all
            receipt = await self._move_money(kind, decision.amount_cents, may_cap, events)
            if not receipt.complete:
                await self._money_fell_short(kind, receipt, events)
                return
            executed = "refund_executed" if kind == "refund" else "coupon_issued"
            events.append(self._event(executed, Role.SYSTEM, PLATFORM_ID, dataclasses.asdict(receipt)))
        self._close(transitions.status_after(decision.outcome))
        events.append(self._event("case_closed", Role.SYSTEM, PLATFORM_ID, {"status": self._status}))
        await self._record(*events)

    async def _reship(
        self,
        events: list[EventDraft],
        fastest: bool | None = None,
        nearest_stock: bool = False,
        warehouse: str | None = None,
    ) -> None:
        """The goods go again through fulfilment; the case follows the new parcel until it is delivered. An urgent
        case (R-URGENT) ships the fastest way fulfilment offers from the nearest warehouse with stock; `warehouse`:
        from there (where an emergency transfer moved the stock)."""
        fastest = self._urgent if fastest is None else fastest
        nearest_stock = (nearest_stock or fastest) and warehouse is None
        call = self._reshipment.request(fastest=fastest, nearest_stock=nearest_stock, warehouse=warehouse)
        receipt = await self._carry_out(call)
        step = self._reshipment.after(receipt)
        if step.parcel is None:
            self._wait_on(CaseStatus.IN_ARBITRATION, self._case.timers.agent)
        else:
            self._goods.parcels[step.parcel.tracking_no] = step.parcel.direction
            self._wait_on(step.status, self._case.timers.stall)
        data = {**step.data, "case_status": self._status, "deadline": self._iso_deadline()}
        events.append(self._event(step.event_type, Role.SYSTEM, PLATFORM_ID, data))
        await self._record(*events, shipments=(step.parcel,) if step.parcel else ())

    async def _gather_delivery_proof(self) -> list[EventDraft]:
        """not_received: the courier's delivery record, and both parties asked for what R-NOT-RECEIVED weighs."""
        steps = self._not_received.after(await self._carry_out(self._not_received.request()), self._iso_deadline())
        return [self._event(kind, Role.SYSTEM, PLATFORM_ID, data) for kind, data in steps]

    async def _replacement_in_stock(self, events: list[EventDraft]) -> bool:
        """Before the buyer sends the goods back for an exchange: is there a replacement anywhere? None → the buyer
        is offered a refund instead (a proposal); a check refused for good → an agent."""
        found = self._exchange_stock.after(await self._carry_out(self._exchange_stock.request()))
        if found.in_stock:
            events.append(self._event("stock_checked", Role.SYSTEM, PLATFORM_ID, {**found.data, "in_stock": True}))
            return True
        if found.failed:
            self._wait_on(CaseStatus.IN_ARBITRATION, self._case.timers.agent)
            events.append(self._event("stock_check_failed", Role.SYSTEM, PLATFORM_ID, found.data))
        else:
            self._decision = None
            self._proposal = self._exchange_stock.refund_offer(self._refundable)
            self._wait_on(CaseStatus.AWAITING_BUYER, self._case.timers.buyer_reply)
            events.append(self._event("stock_checked", Role.SYSTEM, PLATFORM_ID, {**found.data, "in_stock": False}))
            events.append(self._event("proposal_made", Role.SYSTEM, PLATFORM_ID, dict(self._proposal)))
        await self._record(*events)
        return False

    async def _cancel_fulfilment(self, events: list[EventDraft]) -> bool:
        """The order is not shipped: its fulfilment is cancelled before the refund; refused → an agent, no refund."""
        step = self._cancel.after(await self._carry_out(self._cancel.request()))
        events.append(self._event(step.event_type, Role.SYSTEM, PLATFORM_ID, step.data))
        if step.status == CaseStatus.IN_ARBITRATION:
            self._wait_on(CaseStatus.IN_ARBITRATION, self._case.timers.agent)
            await self._record(*events)
            return False
        return True

    async def _shop_return_address(self, events: list[EventDraft]) -> bool:
        """A return granted without an address (R-TIMEOUT, an agent, an accepted proposal) goes to the shop's default;
        with none the buyer is not told to ship to nowhere: an agent takes the case with the reason."""
        address = (await self._facts()).shop_return_address
        if address:
            self._goods.return_address = address
            return True
        self._decision = None
        self._wait_on(CaseStatus.IN_ARBITRATION, self._case.timers.agent)
        data = {"reason": "the shop has no default return address", "deadline": self._iso_deadline()}
        events.append(self._event("return_address_missing", Role.SYSTEM, PLATFORM_ID, data))
        await self._record(*events)
        return False

    async def _merchant_intercepts(self, request: ActionRequest) -> None:
        """The merchant's `intercept` (refund_only, the parcel shipped and not delivered)."""
        facts = await self._facts()
        if facts.shipment != ShipmentState.IN_TRANSIT:
            message = f"only a parcel in transit can be intercepted; the order's is {facts.shipment}"
            raise ApplicationError(message, {"status": self._status}, type="invalid_state")
        decision = Decision(
            outcome=Outcome.REFUND,
            amount_cents=self._refundable,
            rules=(INTERCEPT_RULE,),
            rationale_zh="商家拦截包裹,包裹退回后退款。",
            rationale_en="The merchant intercepts the parcel; the refund follows its return.",
            shipment_step=ShipmentStep.INTERCEPT_PARCEL,
        )
        asked = self._event("intercept_requested", request.role, request.actor_id, {"note": request.note})
        await self._apply(decision, request.role, [asked], request.actor_id)

    async def _intercept(self, refund_cents: int, events: list[EventDraft]) -> None:
        """拦截: the courier is asked to bring the parcel back; the refund waits for its return."""
        step = self._interception.after(await self._carry_out(self._interception.request(refund_cents)))
        if step.parcel is not None:
            self._goods.parcels[step.parcel.tracking_no] = step.parcel.direction
            self._wait_on(step.status, self._case.timers.stall)
        elif step.status == CaseStatus.AWAITING_MERCHANT:  # the delivered path: the parties negotiate
            self._decision = None
            self._wait_on(step.status, self._case.timers.merchant)
        else:
            self._wait_on(CaseStatus.IN_ARBITRATION, self._case.timers.agent)
        data = {**step.data, "case_status": self._status, "deadline": self._iso_deadline()}
        events.append(self._event(step.event_type, Role.SYSTEM, PLATFORM_ID, data))
        await self._record(*events, shipments=(step.parcel,) if step.parcel else ())

    async def _on_intercepted_tracking(self, update: TrackingUpdate, event: EventDraft) -> None:
        """A tracking event of the intercepted parcel: back with the merchant refunds once; delivered after all
        goes the delivered path; anything else restarts T-STALL."""
        if self._status != CaseStatus.RETURN_IN_TRANSIT:
            await self._record(event)
            return
        move = self._interception.on_tracking(update.status)
        if move == ParcelMove.MOVING:
            self._wait_on(CaseStatus.RETURN_IN_TRANSIT, self._case.timers.stall)
            await self._record(event)
        elif move == ParcelMove.DELIVERED:
            self._decision = None
            self._wait_on(CaseStatus.AWAITING_MERCHANT, self._case.timers.merchant)
            missed = {"tracking_no": update.tracking_no, "deadline": self._iso_deadline()}
            await self._record(event, self._event("interception_missed", Role.SYSTEM, PLATFORM_ID, missed))
        else:
            events = [event]
            receipt = await self._move_money("refund", self._interception.refund_cents, True, events)
            if not receipt.complete:
                await self._money_fell_short("refund", receipt, events)
                return
            events.append(self._event("refund_executed", Role.SYSTEM, PLATFORM_ID, dataclasses.asdict(receipt)))
            self._close(CaseStatus.RESOLVED)
            events.append(self._event("case_closed", Role.SYSTEM, PLATFORM_ID, {"status": self._status}))
            await self._record(*events)

    async def _carry_out(self, call: RemedyCall) -> RemedyReceipt:
        """One fulfilment or courier call, done once for its business key (activities/remedies.py)."""
        return await workflow.execute_activity_method(
            RemedyActivities.carry_out, call, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY
        )

    async def _move_money(
        self, kind: str, amount_cents: int, may_cap: bool = True, pending: list[EventDraft] | None = None
    ) -> MoneyReceipt:
        """Moves money through the order's ledger, which may pay less than asked (capped) or nothing (refused,
        failed): the receipt says which. `pending` are this step's events not yet recorded: an overdue-refund alert
        is recorded after them."""
        self._money_moves += 1
        move = MoneyMove(
            case_id=self._case.case_id,
            order_id=self._case.order_id,
            business_key=f"case-{self._case.case_id}:{kind}:{self._money_moves}",
            kind=kind,
            amount_cents=amount_cents,
            may_cap=may_cap,
        )
        run = workflow.start_activity_method(
            MoneyActivities.move_money,
            move,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            heartbeat_timeout=MONEY_HEARTBEAT_TIMEOUT,
            retry_policy=RETRY,
        )
        if kind == "refund" and workflow.patched(REFUND_WATCH_PATCH):
            await self._watch_refund(run, move, pending if pending is not None else [])
        receipt = await run
        self._refunded_here += {"refund": receipt.amount_cents, "reversal": -receipt.amount_cents}.get(kind, 0)
        if kind == "refund":  # what the ledger said is left after this move, when it said (older receipts did not)
            left_after = receipt.left_before_cents - receipt.amount_cents if receipt.asked_cents else self._refundable
            self._refundable = max(0, min(self._refundable - receipt.amount_cents, left_after))
        return receipt

    async def _watch_refund(
        self, run: "asyncio.Future[MoneyReceipt]", move: MoneyMove, pending: list[EventDraft]
    ) -> None:
        """T-REFUND: a refund the provider has not confirmed as the legal limit nears raises the case to the agents."""
        started = workflow.now()
        try:
            await workflow.wait_condition(run.done, timeout=refund_alert_after(self._case.timers.refund))
            return
        except TimeoutError:
            pass
        self._urgent = True
        data = {
            "timer": TimerId.T_REFUND,
            "business_key": move.business_key,
            "amount_cents": move.amount_cents,
            "since": started.isoformat(),
            "legal_limit_at": (started + self._case.timers.refund).isoformat(),
        }
        alert = self._event("refund_overdue", Role.SYSTEM, PLATFORM_ID, data)
        await self._record(*pending, alert)
        pending.clear()

    async def _money_fell_short(self, kind: str, receipt: MoneyReceipt, events: list[EventDraft]) -> None:
        """The ledger capped or refused the move, or the provider refused it for good: the timeline says what was
        refunded already and what was left, and the case goes to an agent instead of closing as resolved."""
        event_type = f"{kind}_{receipt.status}"  # e.g. refund_capped, refund_refused, coupon_failed
        data = {
            **dataclasses.asdict(receipt),
            "left_after_cents": max(0, receipt.left_before_cents - receipt.amount_cents),
        }
        self._wait_on(CaseStatus.IN_ARBITRATION, self._case.timers.agent)
        events.append(self._event(event_type, Role.SYSTEM, PLATFORM_ID, data))
        await self._record(*events)

    async def _facts(self) -> CaseFacts:
        facts = await workflow.execute_local_activity_method(
            FactsActivities.load_case_facts,
            self._case,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
            summary="读取案件事实:订单、物流、证据、陈述",
        )
        return dataclasses.replace(facts, now=workflow.now())

    # --- state, timeline and visibility -----------------------------------------------------------

    def _wait_on(self, status: CaseStatus, wait: timedelta) -> None:
        self._asks.clear()  # any new wait ends a request for evidence (a new request starts its own after)
        self._wait = deadlines.start(status, workflow.now(), wait, self._case.deadlines)
        self._status, self._deadline = status, self._wait.deadline
        self._version += 1

    def _close(self, status: CaseStatus) -> None:
        self._asks.clear()
        self._status, self._deadline = status, None
        self._closed_at = workflow.now()
        self._version += 1

    def _event(self, type: str, role: Role, actor_id: str, data: Mapping[str, object]) -> EventDraft:
        return EventDraft(type, role, actor_id, workflow.now(), dict(data))

    def _deadline_event(self) -> EventDraft:
        """The running wait ran out: which timer, set when, with what pause or extension, and what happens now."""
        assert self._wait is not None
        data = {
            **deadlines.account(self._wait),
            "waited_on": transitions.AWAITING.get(self._status) or "courier",
            "case_status": self._status,
            "then": self._asks.then(self._status, self._proposal is not None),
        }
        return self._event("deadline_passed", Role.SYSTEM, PLATFORM_ID, data)

    def _decision_event(self, decision: Decision, by: Role, actor_id: str) -> EventDraft:
        return self._event("decision_made", by, actor_id, {**dataclasses.asdict(decision), "by": by})

    def _iso_deadline(self) -> str | None:
        return self._deadline.isoformat() if self._deadline else None

    async def _record(self, *events: EventDraft, shipments: tuple[CaseShipment, ...] = ()) -> None:
        events = system_evidence.attached(self._case.case_id, events)
        step = StepRecord(self._case.case_id, self._seq + 1, tuple(events), self._projection(), shipments)
        hashes = await workflow.execute_local_activity_method(
            CaseRecorder.record_step,
            step,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
            summary=visibility.step_summary(events),
        )
        self._anchor.extend(hashes or [None] * len(events))  # steps recorded before the anchor existed: unknown
        self._seq += len(events)
        self._publish(events)
        self._history_due()

    def _projection(self) -> Projection:
        awaiting = transitions.AWAITING[self._status]
        return Projection(
            self._status, awaiting, self._deadline, self._decision, self._proposal, self._urgent, workflow.now()
        )

    def _publish(self, events: tuple[EventDraft, ...] = ()) -> None:
        """Search attributes and the UI's details, after every stored step (workflows/visibility.py)."""
        self._story.add(*events)
        awaiting = transitions.AWAITING[self._status]
        updates: list[SearchAttributeUpdate[Any]] = [
            sa.CASE_STATUS.value_set(self._status),
            sa.AWAITING_PARTY.value_set(awaiting) if awaiting else sa.AWAITING_PARTY.value_unset(),
            sa.DEADLINE_AT.value_set(self._deadline) if self._deadline else sa.DEADLINE_AT.value_unset(),
            sa.URGENT.value_set(self._urgent),
            sa.CHAIN_LENGTH.value_set(self._seq),
        ]
        if self._anchor and self._anchor[-1] is not None:
            updates.append(sa.CHAIN_HEAD.value_set(self._anchor[-1]))
        view = self._view()
        if workflow.patched(visibility.PATCH):
            updates += visibility.attributes(view, self._story)
        workflow.upsert_search_attributes(updates)
        workflow.set_current_details(self._details(view))

    def _view(self) -> View:
        return View(self._case, self._status, self._deadline, self._urgent, self._decision, self._refundable)

    def _details(self, view: View) -> str:
        return details(view, self._story, visibility.title(view))
