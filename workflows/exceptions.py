"""Order exceptions (`logistics_stalled`, `missed_shipment`, `oversold`), as a mixin of the case workflow.

The scan (`workflows/scans.py`) opens the case for the system; the merchant is alerted with the facts and picks
`resolve {resolution, coupon_cents?, amount_cents?, note?, evidence_ids?}` from the §7 menu. `rulebook.exceptions.plan`
says what the choice executes: the courier urged, a coupon once (`case-<id>:coupon:N`), the difference refunded, a
reshipment through fulfilment or a faster transport (`workflows/resolutions.py`); histories from before
`resolutions-carried-out` recorded the reshipment as an instruction only. Silence for T-MERCHANT is R-TIMEOUT, as
for every kind (`workflows/case.py`).
"""

import dataclasses
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

from rulebook import exceptions, ranking
from rulebook.enums import CaseKind, CaseStatus, Party, Resolution, Role
from rulebook.facts import CaseFacts
from rulebook.rules.shipment import stalled_event
from workflows.emergency_transfer import EmergencyTransfer, TransferStep
from workflows.messages import PLATFORM_ID, ActionRequest, CaseShipment, EventDraft
from workflows.remedy_messages import RemedyAction
from workflows.resolutions import ParcelRemedies

with workflow.unsafe.imports_passed_through():
    from activities.order_locks import OrderLocks

if TYPE_CHECKING:
    from datetime import timedelta as Wait

    from workflows.messages import CaseInput, MoneyReceipt
    from workflows.remedy_messages import RemedyCall, RemedyReceipt

RESOLUTIONS_PATCH = "resolutions-carried-out"  # before it, reshipments and faster transport were instructions only
FASTEST = frozenset({Resolution.SAME_DAY_LOCAL_RESHIP, Resolution.EMERGENCY_TRANSFER})
FROM_NEAREST_STOCK = frozenset({Resolution.EMERGENCY_TRANSFER, Resolution.SAME_DAY_LOCAL_RESHIP})

# Oversold cases before it left the order locked after the remedy.
OVERSOLD_UNLOCK_PATCH = "oversold-unlock"
TRANSFER_PATCH = "emergency-transfer-moves-stock"  # before it, an emergency transfer shipped with no stock moved


class ExceptionDesk:
    if TYPE_CHECKING:
        _case: CaseInput
        _status: CaseStatus
        _decision: dict[str, object] | None
        _menu: tuple[Resolution, ...]
        _parcel_remedies: ParcelRemedies

        def _wait_on(self, status: CaseStatus, wait: Wait) -> None: ...
        async def _carry_out(self, call: RemedyCall) -> RemedyReceipt: ...
        async def _reship(
            self,
            events: list[EventDraft],
            fastest: bool | None = None,
            nearest_stock: bool = False,
            warehouse: str | None = None,
        ) -> None: ...
        def _close(self, status: CaseStatus) -> None: ...
        def _event(self, type: str, role: Role, actor_id: str, data: Mapping[str, object]) -> EventDraft: ...
        async def _record(self, *events: EventDraft, shipments: tuple[CaseShipment, ...] = ()) -> None: ...
        async def _move_money(
            self, kind: str, amount_cents: int, may_cap: bool = True, pending: list[EventDraft] | None = None
        ) -> MoneyReceipt: ...
        async def _money_fell_short(self, kind: str, receipt: MoneyReceipt, events: list[EventDraft]) -> None: ...

    def _exception_alert(self, facts: CaseFacts, urgent: bool, deadline: str | None) -> EventDraft:
        """The merchant's alert with the facts (order, tracking nodes with the stalled one marked, buyer messages,
        listing snapshot); also fixes the case's menu, which the `resolve` validator checks against."""
        menu_kind = ranking.exception_kind(self._case.kind, facts.policy.perishable)
        self._menu = ranking.menu(menu_kind, urgent) if menu_kind is not None else ()
        stalled = stalled_event(facts.tracking, facts.now, facts.timers.stall)
        nodes = [
            {"status": e.status, "at": e.at.isoformat(), "location": e.location, "stalled": e == stalled}
            for e in facts.tracking
        ]
        data = {
            "kind": self._case.kind,
            "order_id": self._case.order_id,
            "exception_kind": menu_kind,
            "shipment": facts.shipment,
            "tracking": nodes,
            "stalled_for_hours": _hours(facts.now - stalled.at) if stalled else None,
            "buyer_messages": [s.text for s in facts.statements if s.by == Party.BUYER][:20],
            "listing": dataclasses.asdict(facts.policy),
            "menu": list(self._menu),
            "deadline": deadline,
        }
        if self._case.kind == CaseKind.OVERSOLD:  # where an emergency transfer would come from (None: nowhere)
            transfer = facts.transfer_from
            data["transfer_from"] = dataclasses.asdict(transfer) if transfer else None
        return self._event("exception_alert", Role.SYSTEM, PLATFORM_ID, data)

    def _check_resolution(self, request: ActionRequest) -> None:
        resolution = request.resolution
        if resolution is None or resolution not in self._menu:
            message = f"{resolution} is not on the menu of this case: {', '.join(self._menu) or 'none'}"
            raise ApplicationError(message, {"status": self._status}, type="invalid_request")
        if exceptions.needs_amount(resolution) and not request.amount_cents:
            message = f"{resolution} needs amount_cents: the difference to refund"
            raise ApplicationError(message, {"status": self._status}, type="invalid_request")

    async def _resolve(self, request: ActionRequest) -> None:
        """The merchant's choice, executed once: the courier urged, its coupon paid, the difference refunded, the
        goods reshipped (the case then follows the parcel) or moved to a faster transport."""
        assert request.resolution is not None
        carried = workflow.patched(RESOLUTIONS_PATCH)
        thresholds = self._case.thresholds
        chosen = exceptions.plan(request.resolution, request.coupon_cents, thresholds, request.amount_cents)
        decision, role, actor_id = chosen.decision, request.role, request.actor_id
        proof = {"note": request.note, "evidence_ids": list(request.evidence_ids)}
        events = [
            self._event("resolution_chosen", role, actor_id, {"resolution": chosen.resolution, **proof}),
            self._event(
                "decision_made",
                role,
                actor_id,
                {**dataclasses.asdict(decision), "by": role, "resolution": chosen.resolution},
            ),
        ]
        self._decision = {
            "outcome": decision.outcome,
            "amount_cents": decision.amount_cents,
            "by": role,
            "rules": list(decision.rules),
            "rationale": decision.rationale_zh,
            "rationale_en": decision.rationale_en,
            "resolution": chosen.resolution,
        }
        if carried and chosen.urge_courier and not await self._parcel_remedy(RemedyAction.URGE, events):
            return
        if chosen.coupon_cents > 0:
            receipt = await self._move_money("coupon", chosen.coupon_cents, False, events)
            if not receipt.complete:
                await self._money_fell_short("coupon", receipt, events)
                return
            events.append(self._event("coupon_issued", Role.SYSTEM, PLATFORM_ID, dataclasses.asdict(receipt)))
        if carried and chosen.refund_cents > 0:
            receipt = await self._move_money("refund", chosen.refund_cents, False, events)
            if not receipt.complete:
                await self._money_fell_short("refund", receipt, events)
                return
            events.append(self._event("refund_executed", Role.SYSTEM, PLATFORM_ID, dataclasses.asdict(receipt)))
        if carried and chosen.instruction == "faster_transport":
            if not await self._parcel_remedy(RemedyAction.UPGRADE_TRANSPORT, events):
                return
        elif carried and chosen.instruction is not None:  # reship or transfer: the case follows the new parcel
            ship_from = None
            if chosen.resolution == Resolution.EMERGENCY_TRANSFER and workflow.patched(TRANSFER_PATCH):
                moved = await self._move_stock(events)
                if not moved.done:
                    return
                ship_from = moved.ship_from
            await self._unlock_if_oversold(chosen.resolution, events)
            fastest = True if chosen.resolution in FASTEST else None
            nearest = chosen.resolution in FROM_NEAREST_STOCK and ship_from is None
            await self._reship(events, fastest, nearest_stock=nearest, warehouse=ship_from)
            return
        elif chosen.instruction is not None:
            data = {"instruction": chosen.instruction, "resolution": chosen.resolution, "executed": False, **proof}
            events.append(self._event("reshipment_instructed", Role.SYSTEM, PLATFORM_ID, data))
        await self._unlock_if_oversold(chosen.resolution, events)
        self._close(CaseStatus.RESOLVED)
        events.append(self._event("case_closed", Role.SYSTEM, PLATFORM_ID, {"status": self._status}))
        await self._record(*events)

    async def _move_stock(self, events: list[EventDraft]) -> TransferStep:
        """The emergency transfer's stock move, once, before the reshipment; refused for good → an agent."""
        flow = EmergencyTransfer(self._case.case_id, self._case.order_id)  # workflows/emergency_transfer.py
        moved = flow.after(await self._carry_out(flow.request()))
        events.append(self._event(moved.event_type, Role.SYSTEM, PLATFORM_ID, moved.data))
        if not moved.done:
            self._wait_on(CaseStatus.IN_ARBITRATION, self._case.timers.agent)
            await self._record(*events)
        return moved

    async def _unlock_if_oversold(self, resolution: Resolution, events: list[EventDraft]) -> None:
        """An oversold order is locked until the merchant's remedy is carried out; then it may ship again."""
        if self._case.kind != CaseKind.OVERSOLD or not workflow.patched(OVERSOLD_UNLOCK_PATCH):
            return
        await workflow.execute_activity_method(
            OrderLocks.unlock_order,
            self._case.order_id,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
        )
        unlocked = {"order_id": self._case.order_id, "resolution": resolution}
        events.append(self._event("order_unlocked", Role.SYSTEM, PLATFORM_ID, unlocked))

    async def _parcel_remedy(self, action: RemedyAction, events: list[EventDraft]) -> bool:
        """Urges the courier or upgrades the transport of the order's parcel, once; refused for good → an agent."""
        recorded = self._parcel_remedies.after(await self._carry_out(self._parcel_remedies.request(action)))
        events.append(self._event(recorded.event_type, Role.SYSTEM, PLATFORM_ID, recorded.data))
        if not recorded.done:
            self._wait_on(CaseStatus.IN_ARBITRATION, self._case.timers.agent)
            await self._record(*events)
        return recorded.done


def _hours(wait: timedelta) -> int:
    return int(wait.total_seconds() // 3600)
