"""The goods' journey of a return_refund or an exchange case, as a mixin of the case workflow.

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

import asyncio
import dataclasses
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from rulebook import returns
from rulebook.decisions import Decision
from rulebook.enums import Action, CaseStatus, Outcome, Role, ShipmentDirection
from rulebook.returns import Stage, Step
from rulebook.timers import TimerId, warning_at
from workflows.messages import PLATFORM_ID, ActionRequest, CaseShipment, EventDraft, Goods, TrackingUpdate

if TYPE_CHECKING:
    from workflows.messages import CaseInput, MoneyReceipt


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
    if TYPE_CHECKING:
        _case: CaseInput
        _status: CaseStatus
        _deadline: datetime | None
        _decision: dict[str, object] | None
        _refundable: int
        _goods: Goods
        _lock: asyncio.Lock

        def _check_open(self) -> None: ...
        def _wait_on(self, status: CaseStatus, wait: timedelta) -> None: ...
        def _close(self, status: CaseStatus) -> None: ...
        def _event(self, type: str, role: Role, actor_id: str, data: Mapping[str, object]) -> EventDraft: ...
        def _iso_deadline(self) -> str | None: ...
        def _deadline_event(self) -> EventDraft: ...
        async def _record(self, *events: EventDraft, shipments: tuple[CaseShipment, ...] = ()) -> None: ...
        async def _move_money(
            self, kind: str, amount_cents: int, may_cap: bool = True, pending: list[EventDraft] | None = None
        ) -> MoneyReceipt: ...
        async def _money_fell_short(self, kind: str, receipt: MoneyReceipt, events: list[EventDraft]) -> None: ...
        async def _on_intercepted_tracking(self, update: TrackingUpdate, event: EventDraft) -> None: ...

    # --- entering the journey -------------------------------------------------------------------

    async def _grant_goods(self, decision: Decision, step: Step, events: list[EventDraft]) -> None:
        """A granted return or exchange: the goods come back before the money (or the replacement) moves."""
        self._goods.outcome, self._goods.granted_cents = decision.outcome, decision.amount_cents
        self._move(step)
        if step.status == CaseStatus.AWAITING_RETURN_SHIPMENT:
            granted_by = self._decision["by"] if self._decision else Role.SYSTEM
            data = {
                "return_address": self._goods.return_address,
                "granted_by": granted_by,
                "timer": TimerId.T_BUYER_SHIP,
                "deadline": self._iso_deadline(),
            }
            events.append(self._system_event("return_requested", data))
        await self._finish(step, events)

    # --- the parties' moves -----------------------------------------------------------------------

    def _check_goods(self, request: ActionRequest) -> None:
        shipping = request.action in (Action.SHIP_RETURN, Action.SHIP_REPLACEMENT)
        if (shipping and not (request.carrier and request.tracking_no)) or (
            request.action == Action.CONFIRM_RECEIPT and request.condition_ok is None
        ):
            raise ApplicationError(
                f"{request.action} lacks its fields", {"status": self._status}, type="invalid_request"
            )
        if shipping and request.tracking_no in self._goods.parcels:
            raise ApplicationError(
                "this tracking number is on the case already", {"status": self._status}, type="invalid_request"
            )

    async def _goods_action(self, request: ActionRequest) -> None:
        if request.action == Action.CONFIRM_RECEIPT:
            await self._confirm_receipt(request)
            return
        carrier, tracking_no = str(request.carrier), str(request.tracking_no)
        is_return = request.action == Action.SHIP_RETURN
        direction = ShipmentDirection.RETURN if is_return else ShipmentDirection.REPLACEMENT
        if is_return:
            self._goods.stage = Stage.SENT
        self._goods.parcels[tracking_no] = direction
        self._move(returns.on_return_shipped() if is_return else returns.on_replacement_shipped())
        data = {"carrier": carrier, "tracking_no": tracking_no, "deadline": self._iso_deadline()}
        shipped = self._event(f"{direction}_shipped", request.role, request.actor_id, data)
        await self._record(shipped, shipments=(CaseShipment(direction, carrier, tracking_no),))

    async def _confirm_receipt(self, request: ActionRequest) -> None:
        condition_ok = bool(request.condition_ok)
        data = {"condition_ok": condition_ok, "note": request.note, "evidence_ids": list(request.evidence_ids)}
        await self._receipt(condition_ok, request.role, request.actor_id, data, [])

    async def _receipt(
        self, ok: bool, role: Role, actor_id: str, data: Mapping[str, object], before: list[EventDraft]
    ) -> None:
        self._goods.stage = Stage.RECEIVED
        step = returns.on_receipt(self._goods.outcome, ok)
        self._move(step)
        confirmed = self._event("receipt_confirmed", role, actor_id, {**data, **self._now_waiting()})
        await self._finish(step, [*before, confirmed])

    # --- the courier -----------------------------------------------------------------------------------

    @workflow.update
    async def tracking(self, update: TrackingUpdate) -> CaseStatus:
        """A logistics event of the case's return or replacement parcel; the same event twice changes nothing."""
        async with self._lock:
            self._check_open()
            await self._on_tracking(update)
            return self._status

    @tracking.validator
    def _validate_tracking(self, update: TrackingUpdate) -> None:
        self._check_open()
        if update.tracking_no not in self._goods.parcels:
            raise ApplicationError(f"{update.tracking_no} is no parcel of this case", type="invalid_request")

    async def _on_tracking(self, update: TrackingUpdate) -> None:
        """A logistics event of the return or the replacement: recorded once, and it may move the case on."""
        if update.key in self._goods.seen:
            return  # the feed sent it before: nothing changes
        self._goods.seen.add(update.key)
        direction = self._goods.parcels[update.tracking_no]
        if direction == ShipmentDirection.OUTBOUND:  # the order's own parcel, intercepted (workflows/shipment_steps.py)
            data = {**dataclasses.asdict(update), "direction": direction, "at": update.at.isoformat()}
            await self._on_intercepted_tracking(update, self._system_event("tracking_event", data))
            return
        self._goods.stage = returns.stage_after_tracking(self._goods.stage, direction, update.status)
        step = returns.on_tracking(direction, update.status, self._status)
        if step is not None:
            self._move(step)
        data = {**dataclasses.asdict(update), "direction": direction, **self._now_waiting()}
        if direction == ShipmentDirection.REPLACEMENT and self._decision:  # an exchange's replacement or a reshipment
            data["for"] = self._decision.get("outcome")
        event = self._system_event("tracking_event", {**data, "at": update.at.isoformat()})
        if step is None:
            await self._record(event)
        else:
            await self._finish(step, [event])

    # --- deadlines ----------------------------------------------------------------------------------

    def _wake_at(self) -> datetime | None:
        """When the case next wakes by itself: T-BUYER-SHIP's warning first, then the deadline."""
        return self._goods.warn_at if self._warning_due() else self._deadline

    def _warning_due(self) -> bool:
        return self._status == CaseStatus.AWAITING_RETURN_SHIPMENT and self._goods.warn_at is not None

    async def _warn_buyer(self) -> None:
        self._goods.warn_at = None
        data = {"timer": TimerId.T_BUYER_SHIP, "deadline": self._iso_deadline()}
        await self._record(self._system_event("return_ship_warning", data))

    async def _goods_deadline(self) -> None:
        """A wait of the goods' journey ran out (`rulebook.returns.after_silence` says what follows)."""
        status = self._status
        passed = self._deadline_event()
        if status == CaseStatus.AWAITING_RECEIPT:  # confirmed for the merchant, and on as if they had
            await self._receipt(True, Role.SYSTEM, PLATFORM_ID, {"condition_ok": True, "automatic": True}, [passed])
            return
        step = returns.after_silence(status, self._goods.outcome)
        self._move(step)
        await self._finish(step, [passed])

    # --- moving on -----------------------------------------------------------------------------------

    def _move(self, step: Step) -> None:
        if step.timer is None:
            self._close(step.status)
            return
        self._wait_on(step.status, self._case.timers.wait(step.timer))
        if step.status == CaseStatus.AWAITING_RETURN_SHIPMENT:
            assert self._deadline is not None  # paused days may have moved it: warn before the deadline in force
            self._goods.warn_at = warning_at(workflow.now(), self._deadline - workflow.now())

    async def _finish(self, step: Step, events: list[EventDraft]) -> None:
        """Records the step's events, after the refund it executes and with the closing when it closes the case."""
        if step.refund:
            amount = returns.refund_cents(self._goods.granted_cents, self._refundable)
            if amount > 0:
                receipt = await self._move_money("refund", amount, True, events)
                if not receipt.complete:
                    await self._money_fell_short("refund", receipt, events)
                    return
                events.append(self._system_event("refund_executed", dataclasses.asdict(receipt)))
        if step.status.is_final:
            self._decision = closing_decision(self._decision, self._status)
            events.append(self._system_event("case_closed", {"status": self._status}))
        await self._record(*events)

    def _now_waiting(self) -> dict[str, object]:
        return {"case_status": self._status, "deadline": self._iso_deadline()}

    def _system_event(self, type: str, data: Mapping[str, object]) -> EventDraft:
        return self._event(type, Role.SYSTEM, PLATFORM_ID, data)
