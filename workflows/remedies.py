"""The remedies a case carries out through fulfilment and the courier (`activities/remedies.py`, once per business
key), each on the timeline with its reference; a call refused for good hands the case to an agent.

The flow owns `state.RemedyState` (each remedy's calls so far). The small flow objects it drives say what to call
and what to record: `reshipment.py`, `shipment_steps.py` (cancel, intercept), `resolutions.py` (urge, upgrade),
`exchange_stock.py`, `not_received.py`, `emergency_transfer.py`. A parcel the case then follows is handed to the
goods' journey through `follow`, so its tracking events find the case.
"""

from collections.abc import Callable

from rulebook.enums import CaseStatus, Role, ShipmentDirection
from workflows.emergency_transfer import EmergencyTransfer, TransferStep
from workflows.exchange_stock import ExchangeStock
from workflows.messages import PLATFORM_ID, EventDraft, TrackingUpdate
from workflows.money import MoneyFlow
from workflows.not_received import NotReceived
from workflows.remedy_messages import RemedyAction
from workflows.reshipment import Reshipment
from workflows.resolutions import ParcelRemedies
from workflows.shipment_steps import CancelFulfilment, Interception, ParcelMove
from workflows.state import RemedyState
from workflows.steps import CaseSteps

Follow = Callable[[str, ShipmentDirection], None]


class RemedyFlows:
    def __init__(self, steps: CaseSteps, state: RemedyState, money: MoneyFlow, follow: Follow) -> None:
        self._steps = steps
        self.state = state
        self._money = money
        self._follow = follow
        case = steps.case
        self._ids = (case.case_id, case.order_id)

    def _to_agent(self) -> None:
        self._steps.wait_on(CaseStatus.IN_ARBITRATION, self._steps.case.timers.agent)

    # --- the goods sent again -------------------------------------------------------------------------------------

    async def reship(
        self, events: list[EventDraft], fastest: bool, nearest_stock: bool = False, warehouse: str | None = None
    ) -> None:
        """The goods go again through fulfilment; the case follows the new parcel until it is delivered. Fastest:
        the fastest transport from the nearest warehouse with stock; `warehouse`: from there (where an emergency
        transfer moved the stock)."""
        steps = self._steps
        flow = Reshipment(*self._ids, attempts=self.state.reship)
        nearest_stock = (nearest_stock or fastest) and warehouse is None
        call = flow.request(fastest=fastest, nearest_stock=nearest_stock, warehouse=warehouse)
        self.state.reship = flow.attempts
        step = flow.after(await steps.carry_out(call))
        if step.parcel is None:
            self._to_agent()
        else:
            self._follow(step.parcel.tracking_no, step.parcel.direction)
            steps.wait_on(step.status, steps.case.timers.stall)
        events.append(steps.system(step.event_type, {**step.data, **steps.now_waiting()}))
        await steps.record(*events, shipments=(step.parcel,) if step.parcel else ())

    async def move_stock(self, events: list[EventDraft]) -> TransferStep:
        """The emergency transfer's stock move, once, before the reshipment; refused for good → an agent."""
        flow = EmergencyTransfer(*self._ids)
        moved = flow.after(await self._steps.carry_out(flow.request()))
        events.append(self._steps.system(moved.event_type, moved.data))
        if not moved.done:
            self._to_agent()
            await self._steps.record(*events)
        return moved

    # --- the order's own shipment -------------------------------------------------------------------------------

    async def cancel_fulfilment(self, events: list[EventDraft]) -> bool:
        """The order is not shipped: its fulfilment is cancelled before the refund; refused → an agent, no refund."""
        flow = CancelFulfilment(*self._ids)
        step = flow.after(await self._steps.carry_out(flow.request()))
        events.append(self._steps.system(step.event_type, step.data))
        if step.status == CaseStatus.IN_ARBITRATION:
            self._to_agent()
            await self._steps.record(*events)
            return False
        return True

    async def intercept(self, refund_cents: int, events: list[EventDraft]) -> None:
        """拦截: the courier is asked to bring the parcel back; the refund waits for its return."""
        steps = self._steps
        flow = Interception(*self._ids, attempts=self.state.intercept)
        call = flow.request(refund_cents)
        self.state.intercept, self.state.intercept_refund_cents = flow.attempts, flow.refund_cents
        step = flow.after(await steps.carry_out(call))
        if step.parcel is not None:
            self._follow(step.parcel.tracking_no, step.parcel.direction)
            steps.wait_on(step.status, steps.case.timers.stall)
        elif step.status == CaseStatus.AWAITING_MERCHANT:  # the delivered path: the parties negotiate
            steps.at.decision = None
            steps.wait_on(step.status, steps.case.timers.merchant)
        else:
            self._to_agent()
        events.append(steps.system(step.event_type, {**step.data, **steps.now_waiting()}))
        await steps.record(*events, shipments=(step.parcel,) if step.parcel else ())

    async def on_intercepted_tracking(self, update: TrackingUpdate, event: EventDraft) -> None:
        """A tracking event of the intercepted parcel: back with the merchant refunds once; delivered after all
        goes the delivered path; anything else restarts T-STALL."""
        steps = self._steps
        if steps.status != CaseStatus.RETURN_IN_TRANSIT:
            await steps.record(event)
            return
        move = Interception.on_tracking(update.status)
        if move == ParcelMove.MOVING:
            steps.wait_on(CaseStatus.RETURN_IN_TRANSIT, steps.case.timers.stall)
            await steps.record(event)
        elif move == ParcelMove.DELIVERED:
            steps.at.decision = None
            steps.wait_on(CaseStatus.AWAITING_MERCHANT, steps.case.timers.merchant)
            missed = {"tracking_no": update.tracking_no, "deadline": steps.deadline_iso()}
            await steps.record(event, steps.system("interception_missed", missed))
        else:
            events = [event]
            if not await self._money.pay("refund", self.state.intercept_refund_cents, True, events):
                return
            steps.close(CaseStatus.RESOLVED)
            events.append(steps.system("case_closed", {"status": steps.status}))
            await steps.record(*events)

    # --- the parcel's courier and transport ---------------------------------------------------------------------

    async def parcel_remedy(self, action: RemedyAction, events: list[EventDraft]) -> bool:
        """Urges the courier or upgrades the transport of the order's parcel, once; refused for good → an agent."""
        flow = ParcelRemedies(*self._ids, attempts=self.state.parcel)
        call = flow.request(action)
        self.state.parcel = flow.attempts
        recorded = flow.after(await self._steps.carry_out(call))
        events.append(self._steps.system(recorded.event_type, recorded.data))
        if not recorded.done:
            self._to_agent()
            await self._steps.record(*events)
        return recorded.done

    # --- what the case needs to know first ------------------------------------------------------------------

    async def gather_delivery_proof(self) -> list[EventDraft]:
        """not_received: the courier's delivery record, and both parties asked for what R-NOT-RECEIVED weighs."""
        flow = NotReceived(*self._ids)
        found = flow.after(await self._steps.carry_out(flow.request()), self._steps.deadline_iso())
        return [self._steps.event(kind, Role.SYSTEM, PLATFORM_ID, data) for kind, data in found]

    async def replacement_in_stock(self, events: list[EventDraft]) -> bool:
        """Before the buyer sends the goods back for an exchange: is there a replacement anywhere? None → the buyer
        is offered a refund instead (a proposal); a check refused for good → an agent."""
        steps = self._steps
        flow = ExchangeStock(*self._ids, attempts=self.state.stock)
        call = flow.request()
        self.state.stock = flow.attempts
        found = flow.after(await steps.carry_out(call))
        if found.in_stock:
            events.append(steps.system("stock_checked", {**found.data, "in_stock": True}))
            return True
        if found.failed:
            self._to_agent()
            events.append(steps.system("stock_check_failed", found.data))
        else:
            steps.at.decision = None
            steps.at.proposal = ExchangeStock.refund_offer(self._money.refundable)
            steps.wait_on(CaseStatus.AWAITING_BUYER, steps.case.timers.buyer_reply)
            events.append(steps.system("stock_checked", {**found.data, "in_stock": False}))
            events.append(steps.system("proposal_made", dict(steps.at.proposal)))
        await steps.record(*events)
        return False
