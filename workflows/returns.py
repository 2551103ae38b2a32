"""The goods' journey of a return_refund or an exchange case: a flow of the case workflow that owns `state.Goods`.

`rulebook.returns` says where each step leads; this module only orchestrates it: waits, timeline events, the
parcels stored for the logistics feed, and the refund once the goods are back. Statuses and waits per step:

| step | status | awaiting | deadline |
| --- | --- | --- | --- |
| return granted (approve, R-TIMEOUT, agent) | awaiting_return_shipment | buyer | T-BUYER-SHIP (warned 24 h before) |
| buyer `ship_return`, each tracking event | return_in_transit | – (the courier) | T-STALL since the last event |
| return tracking `delivered` | awaiting_receipt | merchant | T-RECEIPT |
| receipt confirmed (or T-RECEIPT ran out), return_refund | resolved (refund executed) | – | – |
| receipt confirmed, exchange | awaiting_replacement | merchant | T-MERCHANT |
| merchant `ship_replacement`, each tracking event | replacement_in_transit | – (the courier) | T-STALL |
| replacement tracking `delivered` | resolved | – | – |
| `confirm_receipt condition_ok=false`, or a parcel stalled / no replacement | in_arbitration | agent | T-AGENT |
| T-BUYER-SHIP ran out | withdrawn | – | – |
"""

import dataclasses
from collections.abc import Mapping
from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from rulebook import returns
from rulebook.decisions import Decision
from rulebook.enums import Action, CaseStatus, Outcome, Role, ShipmentDirection
from rulebook.returns import Stage, Step
from rulebook.timers import TimerId, warning_at
from workflows.messages import PLATFORM_ID, ActionRequest, CaseShipment, EventDraft, TrackingUpdate
from workflows.money import MoneyFlow
from workflows.state import Goods
from workflows.steps import CaseSteps

# Before it, a step that closed the case with a refund closed it before the refund was tried: a refund the ledger
# refused then left a workflow that had ended with its case waiting on an agent.
SETTLE_PATCH = "closes-after-the-refund"


# What a case closed by its goods' journey says happened, in place of the grant's "send the goods back".
DONE: dict[str, tuple[str, str]] = {
    Outcome.EXCHANGE: (
        "换货完成:买家寄回的商品已由商家确认收货,换货商品已送达买家。",
        "Exchange done: the merchant received the goods sent back and the replacement was delivered to the buyer.",
    ),
    Outcome.RETURN_REFUND: (
        "退货退款完成:商家已确认收到退回的商品,退款已执行。",
        "Return done: the merchant received the goods sent back and the refund was paid.",
    ),
}


def closing_decision(decision: dict[str, object] | None, status: CaseStatus) -> dict[str, object] | None:
    """The decision as the closed case shows it: its rationale says what happened; the grant's words are kept."""
    if decision is None or status != CaseStatus.RESOLVED or str(decision.get("outcome")) not in DONE:
        return decision
    zh, en = DONE[str(decision.get("outcome"))]
    granted = {"granted_rationale": decision.get("rationale"), "granted_rationale_en": decision.get("rationale_en")}
    return {**decision, **granted, "rationale": zh, "rationale_en": en}


class GoodsJourney:
    def __init__(self, steps: CaseSteps, goods: Goods, money: MoneyFlow) -> None:
        self._steps = steps
        self.goods = goods
        self._money = money
        self._closing: CaseStatus | None = None  # the final status a refund still in hand closes the case in

    def follow(self, tracking_no: str, direction: ShipmentDirection) -> None:
        """A parcel of the case (a return, a replacement, a reshipment, the intercepted order): its tracking events
        are the case's."""
        self.goods.parcels[tracking_no] = direction

    @property
    def sent(self) -> bool:
        return self.goods.stage != Stage.AWAITED

    # --- entering the journey -------------------------------------------------------------------

    async def grant(self, decision: Decision, step: Step, events: list[EventDraft]) -> None:
        """A granted return or exchange: the goods come back before the money (or the replacement) moves."""
        self.goods.outcome, self.goods.granted_cents = decision.outcome, decision.amount_cents
        self._move(step)
        if step.status == CaseStatus.AWAITING_RETURN_SHIPMENT:
            standing = self._steps.at.decision
            data = {
                "return_address": self.goods.return_address,
                "granted_by": standing["by"] if standing else Role.SYSTEM,
                "timer": TimerId.T_BUYER_SHIP,
                "deadline": self._steps.deadline_iso(),
            }
            events.append(self._steps.system("return_requested", data))
        await self._finish(step, events)

    # --- the parties' moves -----------------------------------------------------------------------

    def check(self, request: ActionRequest) -> None:
        shipping = request.action in (Action.SHIP_RETURN, Action.SHIP_REPLACEMENT)
        status = {"status": self._steps.status}
        if (shipping and not (request.carrier and request.tracking_no)) or (
            request.action == Action.CONFIRM_RECEIPT and request.condition_ok is None
        ):
            raise ApplicationError(f"{request.action} lacks its fields", status, type="invalid_request")
        if shipping and request.tracking_no in self.goods.parcels:
            raise ApplicationError("this tracking number is on the case already", status, type="invalid_request")

    async def act(self, request: ActionRequest) -> None:
        if request.action == Action.CONFIRM_RECEIPT:
            condition_ok = bool(request.condition_ok)
            data = {"condition_ok": condition_ok, "note": request.note, "evidence_ids": list(request.evidence_ids)}
            await self._receipt(condition_ok, request.role, request.actor_id, data, [])
            return
        carrier, tracking_no = str(request.carrier), str(request.tracking_no)
        is_return = request.action == Action.SHIP_RETURN
        direction = ShipmentDirection.RETURN if is_return else ShipmentDirection.REPLACEMENT
        if is_return:
            self.goods.stage = Stage.SENT
        self.follow(tracking_no, direction)
        self._move(returns.on_return_shipped() if is_return else returns.on_replacement_shipped())
        data = {"carrier": carrier, "tracking_no": tracking_no, "deadline": self._steps.deadline_iso()}
        shipped = self._steps.event(f"{direction}_shipped", request.role, request.actor_id, data)
        await self._steps.record(shipped, shipments=(CaseShipment(direction, carrier, tracking_no),))

    async def _receipt(
        self, ok: bool, role: Role, actor_id: str, data: Mapping[str, object], before: list[EventDraft]
    ) -> None:
        self.goods.stage = Stage.RECEIVED
        step = returns.on_receipt(self.goods.outcome, ok)
        self._move(step)
        confirmed = self._steps.event("receipt_confirmed", role, actor_id, {**data, **self._now_waiting()})
        await self._finish(step, [*before, confirmed])

    # --- the courier -----------------------------------------------------------------------------------

    def check_tracking(self, update: TrackingUpdate) -> None:
        if update.tracking_no not in self.goods.parcels:
            raise ApplicationError(f"{update.tracking_no} is no parcel of this case", type="invalid_request")

    def take_tracking(self, update: TrackingUpdate) -> ShipmentDirection | None:
        """The parcel's direction for a tracking event seen for the first time; None: the feed sent it before."""
        if update.key in self.goods.seen:
            return None
        self.goods.seen.add(update.key)
        return self.goods.parcels[update.tracking_no]

    def tracking_event(self, update: TrackingUpdate, direction: ShipmentDirection) -> EventDraft:
        data = {**dataclasses.asdict(update), "direction": direction, "at": update.at.isoformat()}
        return self._steps.system("tracking_event", data)

    async def on_tracking(self, update: TrackingUpdate, direction: ShipmentDirection) -> None:
        """A logistics event of the return or the replacement: recorded once, and it may move the case on."""
        self.goods.stage = returns.stage_after_tracking(self.goods.stage, direction, update.status)
        step = returns.on_tracking(direction, update.status, self._steps.status)
        if step is not None:
            self._move(step)
        data = {**dataclasses.asdict(update), "direction": direction, **self._now_waiting()}
        standing = self._steps.at.decision
        if direction == ShipmentDirection.REPLACEMENT and standing:  # an exchange's replacement or a reshipment
            data["for"] = standing.get("outcome")
        event = self._steps.system("tracking_event", {**data, "at": update.at.isoformat()})
        if step is None:
            await self._steps.record(event)
        else:
            await self._finish(step, [event])

    # --- deadlines ----------------------------------------------------------------------------------

    def wake_at(self) -> datetime | None:
        """When the case next wakes by itself: T-BUYER-SHIP's warning first, then the deadline."""
        return self.goods.warn_at if self.warning_due() else self._steps.at.deadline

    def warning_due(self) -> bool:
        return self._steps.status == CaseStatus.AWAITING_RETURN_SHIPMENT and self.goods.warn_at is not None

    async def warn_buyer(self) -> None:
        self.goods.warn_at = None
        data = {"timer": TimerId.T_BUYER_SHIP, "deadline": self._steps.deadline_iso()}
        await self._steps.record(self._steps.system("return_ship_warning", data))

    async def deadline(self, passed: EventDraft) -> None:
        """A wait of the goods' journey ran out (`rulebook.returns.after_silence` says what follows)."""
        status = self._steps.status
        if status == CaseStatus.AWAITING_RECEIPT:  # confirmed for the merchant, and on as if they had
            await self._receipt(True, Role.SYSTEM, PLATFORM_ID, {"condition_ok": True, "automatic": True}, [passed])
            return
        step = returns.after_silence(status, self.goods.outcome)
        self._move(step)
        await self._finish(step, [passed])

    # --- moving on -----------------------------------------------------------------------------------

    def _move(self, step: Step) -> None:
        steps = self._steps
        if step.timer is None:
            if step.refund and self._refund_cents() > 0 and workflow.patched(SETTLE_PATCH):
                self._closing = step.status  # closed once the refund is paid (`_finish`)
                return
            steps.close(step.status)
            return
        steps.wait_on(step.status, steps.case.timers.wait(step.timer))
        if step.status == CaseStatus.AWAITING_RETURN_SHIPMENT:
            deadline = steps.at.deadline
            assert deadline is not None  # paused days may have moved it: warn before the deadline in force
            self.goods.warn_at = warning_at(workflow.now(), deadline - workflow.now())

    def _now_waiting(self) -> dict[str, object]:
        if self._closing is not None:  # the step closes the case once its refund is paid
            return {"case_status": self._closing, "deadline": None}
        return self._steps.now_waiting()

    def _refund_cents(self) -> int:
        return returns.refund_cents(self.goods.granted_cents, self._money.refundable)

    async def _finish(self, step: Step, events: list[EventDraft]) -> None:
        """Records the step's events, after the refund it executes and with the closing when it closes the case."""
        steps = self._steps
        if step.refund:
            amount = self._refund_cents()
            if amount > 0 and not await self._money.pay("refund", amount, True, events):
                self._closing = None  # the refund fell short: the case waits on an agent, open
                return
        if self._closing is not None:
            steps.close(self._closing)
            self._closing = None
        if step.status.is_final:
            steps.at.decision = closing_decision(steps.at.decision, steps.status)
            events.append(steps.system("case_closed", {"status": steps.status}))
        await steps.record(*events)
