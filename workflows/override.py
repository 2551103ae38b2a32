"""An agent's override of the platform's own decision (`rulebook/override.py`), within the window after the case
closed: the agent's ruling replaces the platform's and the money on the ledger is settled to it. Money already
moved stays on the ledger: a refund taken back is a new reversal move, more money a new refund or coupon, each
through the order's ledger like any.

The flow owns `state.OverrideState`; the window itself is the conductor's wait.
"""

import dataclasses

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from rulebook import override as overriding
from rulebook import settlement
from rulebook.enums import CaseStatus, Outcome, Role
from workflows.agent_desk import Override
from workflows.decisions import standing
from workflows.messages import EventDraft
from workflows.money import DONE, MONEY_KINDS, MoneyFlow
from workflows.state import OverrideState
from workflows.steps import CaseSteps

OVERRIDE_PATCH = "override-window"  # cases closed before it completed at once, with no window to override in
# Before it, an override subtracted what the case had refunded only for a full refund, and never took back a
# difference: an override to a smaller or the same amount paid again.
SETTLES_PATCH = "override-settles-the-ledger"


class OverrideDesk:
    def __init__(self, steps: CaseSteps, state: OverrideState, money: MoneyFlow) -> None:
        self._steps = steps
        self.state = state
        self._money = money

    @property
    def overridden(self) -> bool:
        return self.state.overridden

    def decided_by_platform(self) -> bool:
        decision = self._steps.at.decision
        return decision is not None and str(decision.get("by")) == Role.SYSTEM

    def check(self, ruling: Override) -> None:
        at = self._steps.at
        by = str(at.decision.get("by")) if at.decision else None
        window = self._steps.case.timers.override
        money, coupon_max = self._money.state, self._steps.case.thresholds.coupon_max_cents
        moved = settlement.Moved(money.refunded_here, money.couponed_here)
        room = settlement.case_room(money.refundable, moved, coupon_max)
        case = overriding.Overridable(at.status, by, at.closed_at, window, self.overridden, coupon_max, moved, room)
        try:
            overriding.check(case, ruling.outcome, ruling.amount_cents, ruling.rationale, workflow.now())
        except overriding.OverrideRefused as refused:
            raise ApplicationError(refused.message, {"status": at.status}, type=refused.code) from None

    async def override(self, ruling: Override) -> None:
        """The agent's ruling replaces the platform's; the ledger is settled to it, and the case closes only when
        that happened (else an agent takes it from here)."""
        steps = self._steps
        previous = dict(steps.at.decision or {})
        decision = overriding.ruling(ruling.outcome, ruling.amount_cents, steps.case.amount_cents, ruling.rationale)
        data = {**dataclasses.asdict(decision), "by": Role.AGENT, "previous": previous}
        extra = {"previous": previous}
        packet_sha256 = await steps.person_packet(decision, Role.AGENT, ruling.agent_id, "decision_overridden", extra)
        if packet_sha256 is not None:
            data["packet_sha256"] = packet_sha256
        events = [steps.event("decision_overridden", Role.AGENT, ruling.agent_id, data)]
        if workflow.patched(SETTLES_PATCH):
            carried_out = await self._settle(decision.outcome, decision.amount_cents, events)
        else:
            carried_out = await self._pay_before_settling(decision.outcome, decision.amount_cents, events)
        steps.at.decision = {**standing(decision, Role.AGENT), "overrides": previous.get("outcome")}
        if carried_out:
            steps.at.status = overriding.status_after(decision.outcome)
            steps.at.version += 1
        else:  # the ledger or the provider fell short: never closed as done; an agent takes it from here
            steps.wait_on(CaseStatus.IN_ARBITRATION, steps.case.timers.agent)
        await steps.record(*events)
        self.state.overridden = True  # only now: the window's wait wakes to a case already moved on

    async def _settle(self, outcome: Outcome, amount_cents: int, events: list[EventDraft]) -> bool:
        """The moves that bring what this case moved to what the ruling says (`rulebook/settlement.py`)."""
        money = self._money.state
        moved = settlement.Moved(money.refunded_here, money.couponed_here)
        for move in settlement.settle(moved, outcome, amount_cents):
            if not await self._moved(move.kind, move.amount_cents, move.may_cap, events):
                return False
        return True

    async def _moved(self, kind: str, amount_cents: int, may_cap: bool, events: list[EventDraft]) -> bool:
        receipt = await self._money.move(kind, amount_cents, may_cap, events)
        moved = DONE[kind] if receipt.complete else f"{kind}_{receipt.status}"
        events.append(self._steps.system(moved, dataclasses.asdict(receipt)))
        return receipt.complete

    async def _pay_before_settling(self, outcome: Outcome, amount_cents: int, events: list[EventDraft]) -> bool:
        """Overrides of cases that decided before `SETTLES_PATCH`, replayed as they ran."""
        refunded = self._money.state.refunded_here
        if outcome == Outcome.REJECT and refunded > 0:
            return await self._moved("reversal", refunded, True, events)
        if outcome in MONEY_KINDS:
            asked = amount_cents - (refunded if outcome == Outcome.REFUND else 0)
            if asked > 0:
                return await self._moved(MONEY_KINDS[outcome], asked, outcome == Outcome.REFUND, events)
        return True
