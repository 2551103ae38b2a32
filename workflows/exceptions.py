"""Order exceptions (`logistics_stalled`, `missed_shipment`, `oversold`), as a mixin of the case workflow.

The scan (`workflows/scans.py`) opens the case for the system; the merchant is alerted with the facts and picks
`resolve {resolution, coupon_cents?, note?, evidence_ids?}` from the §7 menu. `rulebook.exceptions.plan` says what
the choice executes: a coupon once (`case-<id>:coupon:N`), a reshipment recorded as an instruction to the merchant
with the merchant's note and proof. Silence for T-MERCHANT is R-TIMEOUT, as for every kind (`workflows/case.py`).
"""

import dataclasses
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

from temporalio.exceptions import ApplicationError

from rulebook import exceptions, ranking
from rulebook.enums import CaseStatus, Party, Resolution, Role
from rulebook.facts import CaseFacts
from rulebook.rules.shipment import stalled_event
from workflows.messages import PLATFORM_ID, ActionRequest, CaseShipment, EventDraft

if TYPE_CHECKING:
    from workflows.messages import CaseInput, MoneyReceipt


class ExceptionDesk:
    if TYPE_CHECKING:
        _case: CaseInput
        _status: CaseStatus
        _decision: dict[str, object] | None
        _menu: tuple[Resolution, ...]

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
        return self._event("exception_alert", Role.SYSTEM, PLATFORM_ID, data)

    def _check_resolution(self, request: ActionRequest) -> None:
        resolution = request.resolution
        if resolution is None or resolution not in self._menu:
            message = f"{resolution} is not on the menu of this case: {', '.join(self._menu) or 'none'}"
            raise ApplicationError(message, {"status": self._status}, type="invalid_request")
        if not exceptions.executable(resolution):
            message = f"{resolution} cannot be carried out yet"
            raise ApplicationError(message, {"status": self._status}, type="invalid_request")

    async def _resolve(self, request: ActionRequest) -> None:
        """The merchant's choice, executed once: its coupon paid, its reshipment recorded as an instruction."""
        assert request.resolution is not None
        chosen = exceptions.plan(request.resolution, request.coupon_cents, self._case.thresholds)
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
        if chosen.coupon_cents > 0:
            receipt = await self._move_money("coupon", chosen.coupon_cents, False, events)
            if not receipt.complete:
                await self._money_fell_short("coupon", receipt, events)
                return
            events.append(self._event("coupon_issued", Role.SYSTEM, PLATFORM_ID, dataclasses.asdict(receipt)))
        if chosen.instruction is not None:
            data = {"instruction": chosen.instruction, "resolution": chosen.resolution, "executed": False, **proof}
            events.append(self._event("reshipment_instructed", Role.SYSTEM, PLATFORM_ID, data))
        self._close(CaseStatus.RESOLVED)
        events.append(self._event("case_closed", Role.SYSTEM, PLATFORM_ID, {"status": self._status}))
        await self._record(*events)


def _hours(wait: timedelta) -> int:
    return int(wait.total_seconds() // 3600)
