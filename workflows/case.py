"""The case workflow: one per case, id `case-<case_id>`. It orchestrates; the rule book decides.

Commands arrive as updates. Each is validated against the rule book's transition table, then applied
under one lock, so the timeline has a single writer and a reply racing the deadline has one outcome.
"""

import asyncio
import dataclasses
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

from rulebook import commands, deadlines, decide, exceptions, returns, transitions
from rulebook.decisions import Decision
from rulebook.enums import Action, CaseStatus, Outcome, Resolution, Role
from rulebook.facts import CaseFacts
from rulebook.returns import Stage
from rulebook.timers import TimerId, refund_alert_after
from workflows import search_attributes as sa
from workflows import system_evidence
from workflows.exceptions import ExceptionDesk
from workflows.messages import (
    PLATFORM_ID,
    ActionRequest,
    CaseInput,
    CaseShipment,
    EventDraft,
    EvidenceAdded,
    MoneyMove,
    MoneyReceipt,
    Projection,
    StepRecord,
)
from workflows.returns import Goods, GoodsJourney

with workflow.unsafe.imports_passed_through():
    from activities.facts import FactsActivities
    from activities.payments import MoneyActivities
    from activities.recording import CaseRecorder

ACTIVITY_TIMEOUT = timedelta(seconds=30)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))
MONEY_KINDS = {Outcome.REFUND: "refund", Outcome.PARTIAL_REFUND: "refund", Outcome.COUPON: "coupon"}
REFUND_WATCH_PATCH = "refund-deadline-watch"  # cases opened before it never started T-REFUND's alert timer


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
        self._lock = asyncio.Lock()

    @workflow.run
    async def run(self, case: CaseInput) -> CaseStatus:
        async with self._lock:
            await self._open()
        while not self._status.is_final:
            await self._wait_for_move_or_deadline()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._status

    @workflow.update
    async def opened(self) -> CaseStatus:
        """Returns once the case is stored as opened (and decided at once where the rule book says so)."""
        await workflow.wait_condition(lambda: self._opened)
        return self._status

    @workflow.update
    async def act(self, request: ActionRequest) -> CaseStatus:
        async with self._lock:
            self._check(request)  # again: an earlier command may have moved the case since validation
            await self._handle(request)
            return self._status

    @act.validator
    def _validate_act(self, request: ActionRequest) -> None:
        self._check(request)

    @workflow.update
    async def add_evidence(self, added: EvidenceAdded) -> CaseStatus:
        async with self._lock:
            self._check_open()
            data = dataclasses.asdict(added)
            role, actor_id = data.pop("role"), data.pop("actor_id")
            await self._record(self._event("evidence_added", role, actor_id, data))
            if added.role == Role.BUYER and self._status == CaseStatus.AWAITING_MERCHANT:
                await self._decide_at_once()
            return self._status

    @add_evidence.validator
    def _validate_evidence(self, added: EvidenceAdded) -> None:
        self._check_open()

    async def _decide_at_once(self) -> None:
        """The rules that need no merchant (R-SMALL) often need the buyer's photos, which come after opening."""
        decision = decide.on_open(await self._facts())
        if decision is not None:
            await self._apply(decision, by=Role.SYSTEM)

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
        if decision is None:
            await self._record(opened, *alert)
        else:
            await self._apply(decision, by=Role.SYSTEM, before=[opened])
        self._opened = True

    async def _wait_for_move_or_deadline(self) -> None:
        version = self._version
        wake_at = self._wake_at()
        if wake_at is None:
            await workflow.wait_condition(lambda: self._version != version)
            return
        remaining = wake_at - workflow.now()
        if remaining > timedelta(0):
            try:
                await workflow.wait_condition(lambda: self._version != version, timeout=remaining)
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
            next_status = commands.after_buyer_silence(self._proposal is not None)
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
            await self._record(self._event("message", *actor, {"text": request.message}))
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
        goods_step = returns.after_grant(self._case.kind, decision.outcome, self._goods.stage)
        if goods_step is not None:
            await self._grant_goods(decision, goods_step, events)
            return
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
            MoneyActivities.move_money, move, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY
        )
        if kind == "refund" and workflow.patched(REFUND_WATCH_PATCH):
            await self._watch_refund(run, move, pending if pending is not None else [])
        receipt = await run
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
            FactsActivities.load_case_facts, self._case, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY
        )
        return dataclasses.replace(facts, now=workflow.now())

    # --- state, timeline and visibility -----------------------------------------------------------

    def _wait_on(self, status: CaseStatus, wait: timedelta) -> None:
        self._wait = deadlines.start(status, workflow.now(), wait, self._case.deadlines)
        self._status, self._deadline = status, self._wait.deadline
        self._version += 1

    def _close(self, status: CaseStatus) -> None:
        self._status, self._deadline = status, None
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
            "then": deadlines.after_deadline(self._status, self._proposal is not None),
        }
        return self._event("deadline_passed", Role.SYSTEM, PLATFORM_ID, data)

    def _decision_event(self, decision: Decision, by: Role, actor_id: str) -> EventDraft:
        return self._event("decision_made", by, actor_id, {**dataclasses.asdict(decision), "by": by})

    def _iso_deadline(self) -> str | None:
        return self._deadline.isoformat() if self._deadline else None

    async def _record(self, *events: EventDraft, shipments: tuple[CaseShipment, ...] = ()) -> None:
        events = system_evidence.attached(self._case.case_id, events)
        step = StepRecord(self._case.case_id, self._seq + 1, tuple(events), self._projection(), shipments)
        await workflow.execute_local_activity_method(
            CaseRecorder.record_step, step, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY
        )
        self._seq += len(events)
        self._publish()

    def _projection(self) -> Projection:
        awaiting = transitions.AWAITING[self._status]
        return Projection(
            self._status, awaiting, self._deadline, self._decision, self._proposal, self._urgent, workflow.now()
        )

    def _publish(self) -> None:
        awaiting = transitions.AWAITING[self._status]
        updates: list[SearchAttributeUpdate[Any]] = [
            sa.CASE_STATUS.value_set(self._status),
            sa.AWAITING_PARTY.value_set(awaiting) if awaiting else sa.AWAITING_PARTY.value_unset(),
            sa.DEADLINE_AT.value_set(self._deadline) if self._deadline else sa.DEADLINE_AT.value_unset(),
            sa.URGENT.value_set(self._urgent),
        ]
        workflow.upsert_search_attributes(updates)
        workflow.set_current_details(self._details())

    def _details(self) -> str:
        c = self._case
        who = transitions.AWAITING[self._status]
        head = f"{c.kind} · order {c.order_id} · ¥{c.amount_cents / 100:.2f} · {self._status}"
        if self._status.is_final:
            outcome = self._decision["outcome"] if self._decision else self._status
            return f"{head} · closed ({outcome})"
        return f"{head} · {who or 'courier'}'s move by {self._iso_deadline()}"
