"""Order exceptions (`logistics_stalled`, `missed_shipment`, `oversold`): a flow of the case workflow that owns the
§7 menu.

The scan (`workflows/scans.py`) opens the case for the system; the merchant is alerted with the facts and picks
`resolve {resolution, coupon_cents?, amount_cents?, note?, evidence_ids?}` from the §7 menu. `rulebook.exceptions.plan`
says what the choice executes: the courier urged, a coupon once (`case-<id>:coupon:N`), the difference refunded, a
reshipment through fulfilment or a faster transport (`workflows/resolutions.py`); histories from before
`resolutions-carried-out` recorded the reshipment as an instruction only. Silence for T-MERCHANT is R-TIMEOUT, as
for every kind (`workflows/case.py`).
"""

import dataclasses
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

from rulebook import exceptions, ranking
from rulebook.enums import CaseKind, CaseStatus, Party, Resolution
from rulebook.facts import CaseFacts
from rulebook.rules.shipment import stalled_event
from workflows.decisions import standing
from workflows.messages import ActionRequest, EventDraft
from workflows.money import MoneyFlow
from workflows.remedies import RemedyFlows
from workflows.remedy_messages import RemedyAction
from workflows.state import ExceptionState
from workflows.steps import CaseSteps

with workflow.unsafe.imports_passed_through():
    from activities.order_locks import OrderLocks

RESOLUTIONS_PATCH = "resolutions-carried-out"  # before it, reshipments and faster transport were instructions only
FASTEST = frozenset({Resolution.SAME_DAY_LOCAL_RESHIP, Resolution.EMERGENCY_TRANSFER})
FROM_NEAREST_STOCK = frozenset({Resolution.EMERGENCY_TRANSFER, Resolution.SAME_DAY_LOCAL_RESHIP})

# Oversold cases before it left the order locked after the remedy.
OVERSOLD_UNLOCK_PATCH = "oversold-unlock"
TRANSFER_PATCH = "emergency-transfer-moves-stock"  # before it, an emergency transfer shipped with no stock moved


class ExceptionDesk:
    def __init__(self, steps: CaseSteps, state: ExceptionState, money: MoneyFlow, remedies: RemedyFlows) -> None:
        self._steps = steps
        self.state = state
        self._money = money
        self._remedies = remedies

    def alert(self, facts: CaseFacts, urgent: bool) -> EventDraft:
        """The merchant's alert with the facts (order, tracking nodes with the stalled one marked, buyer messages,
        listing snapshot); also fixes the case's menu, which `resolve` is checked against."""
        case = self._steps.case
        menu_kind = ranking.exception_kind(case.kind, facts.policy.perishable)
        self.state.menu = ranking.menu(menu_kind, urgent) if menu_kind is not None else ()
        stalled = stalled_event(facts.tracking, facts.now, facts.timers.stall)
        nodes = [
            {"status": e.status, "at": e.at.isoformat(), "location": e.location, "stalled": e == stalled}
            for e in facts.tracking
        ]
        data = {
            "kind": case.kind,
            "order_id": case.order_id,
            "exception_kind": menu_kind,
            "shipment": facts.shipment,
            "tracking": nodes,
            "stalled_for_hours": _hours(facts.now - stalled.at) if stalled else None,
            "buyer_messages": [s.text for s in facts.statements if s.by == Party.BUYER][:20],
            "listing": dataclasses.asdict(facts.policy),
            "menu": list(self.state.menu),
            "deadline": self._steps.deadline_iso(),
        }
        if case.kind == CaseKind.OVERSOLD:  # where an emergency transfer would come from (None: nowhere)
            transfer = facts.transfer_from
            data["transfer_from"] = dataclasses.asdict(transfer) if transfer else None
        return self._steps.system("exception_alert", data)

    def check(self, request: ActionRequest) -> None:
        resolution, status = request.resolution, {"status": self._steps.status}
        if resolution is None or resolution not in self.state.menu:
            message = f"{resolution} is not on the menu of this case: {', '.join(self.state.menu) or 'none'}"
            raise ApplicationError(message, status, type="invalid_request")
        if exceptions.needs_amount(resolution) and not request.amount_cents:
            message = f"{resolution} needs amount_cents: the difference to refund"
            raise ApplicationError(message, status, type="invalid_request")

    async def resolve(self, request: ActionRequest) -> None:
        """The merchant's choice, executed once: the courier urged, its coupon paid, the difference refunded, the
        goods reshipped (the case then follows the parcel) or moved to a faster transport."""
        assert request.resolution is not None
        steps, remedies = self._steps, self._remedies
        carried = workflow.patched(RESOLUTIONS_PATCH)
        chosen = exceptions.plan(request.resolution, request.coupon_cents, steps.case.thresholds, request.amount_cents)
        decision, role, actor_id = chosen.decision, request.role, request.actor_id
        proof = {"note": request.note, "evidence_ids": list(request.evidence_ids)}
        made = {**dataclasses.asdict(decision), "by": role, "resolution": chosen.resolution}
        extra = {"resolution": chosen.resolution, **proof}
        packet_sha256 = await steps.person_packet(decision, role, actor_id, extra=extra)
        if packet_sha256 is not None:
            made["packet_sha256"] = packet_sha256
        events = [
            steps.event("resolution_chosen", role, actor_id, {"resolution": chosen.resolution, **proof}),
            steps.event("decision_made", role, actor_id, made),
        ]
        steps.at.decision = {**standing(decision, role), "resolution": chosen.resolution}
        if carried and chosen.urge_courier and not await remedies.parcel_remedy(RemedyAction.URGE, events):
            return
        if chosen.coupon_cents > 0 and not await self._money.pay("coupon", chosen.coupon_cents, False, events):
            return
        if (
            carried
            and chosen.refund_cents > 0
            and not await self._money.pay("refund", chosen.refund_cents, False, events)
        ):
            return
        if carried and chosen.instruction == "faster_transport":
            if not await remedies.parcel_remedy(RemedyAction.UPGRADE_TRANSPORT, events):
                return
        elif carried and chosen.instruction is not None:  # reship or transfer: the case follows the new parcel
            ship_from = None
            if chosen.resolution == Resolution.EMERGENCY_TRANSFER and workflow.patched(TRANSFER_PATCH):
                moved = await remedies.move_stock(events)
                if not moved.done:
                    return
                ship_from = moved.ship_from
            await self._unlock_if_oversold(chosen.resolution, events)
            fastest = True if chosen.resolution in FASTEST else steps.at.urgent
            nearest = chosen.resolution in FROM_NEAREST_STOCK and ship_from is None
            await remedies.reship(events, fastest, nearest_stock=nearest, warehouse=ship_from)
            return
        elif chosen.instruction is not None:
            data = {"instruction": chosen.instruction, "resolution": chosen.resolution, "executed": False, **proof}
            events.append(steps.system("reshipment_instructed", data))
        await self._unlock_if_oversold(chosen.resolution, events)
        steps.close(CaseStatus.RESOLVED)
        events.append(steps.system("case_closed", {"status": steps.status}))
        await steps.record(*events)

    async def _unlock_if_oversold(self, resolution: Resolution, events: list[EventDraft]) -> None:
        """An oversold order is locked until the merchant's remedy is carried out; then it may ship again."""
        case = self._steps.case
        if case.kind != CaseKind.OVERSOLD or not workflow.patched(OVERSOLD_UNLOCK_PATCH):
            return
        await workflow.execute_activity_method(
            OrderLocks.unlock_order,
            case.order_id,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
            summary="商家补救已完成:解除超卖订单的锁定",
        )
        unlocked = {"order_id": case.order_id, "resolution": resolution}
        events.append(self._steps.system("order_unlocked", unlocked))


def _hours(wait: timedelta) -> int:
    return int(wait.total_seconds() // 3600)
