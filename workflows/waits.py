"""Deadlines and the merchant's extension: what happens when the running wait runs out (product.md §4), and the one
extension a merchant may ask for. The wait itself is part of the case's position (`steps.CaseSteps.wait_on`); the
conductor's main loop sleeps until `GoodsJourney.wake_at` and then asks `Waits.ran_out`.

| the wait | when it runs out |
| --- | --- |
| the merchant's (T-MERCHANT) | R-TIMEOUT decides on the case's facts |
| the buyer's (T-BUYER-REPLY) | closed, or an agent when a proposal or a request for evidence was pending |
| the agent's (T-AGENT) | never decided by default: the agent is reminded and the case raised |
| the goods' (T-BUYER-SHIP, T-STALL, T-RECEIPT) | `returns.GoodsJourney.deadline` |
"""

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from rulebook import commands, deadlines, decide, packets, returns, transitions
from rulebook.enums import CaseStatus, Role
from workflows.decisions import Basis, DecisionFlow
from workflows.evidence_requests import EvidenceAsks
from workflows.messages import ActionRequest, EventDraft
from workflows.returns import GoodsJourney
from workflows.steps import CaseSteps


class Waits:
    def __init__(self, steps: CaseSteps, asks: EvidenceAsks, goods: GoodsJourney, decisions: DecisionFlow) -> None:
        self._steps = steps
        self._asks = asks
        self._goods = goods
        self._decisions = decisions

    async def ran_out(self) -> None:
        steps = self._steps
        status, timers = steps.status, steps.case.timers
        if status == CaseStatus.AWAITING_MERCHANT:
            passed = self.passed()
            facts = await steps.facts()
            decision, basis = decide.on_merchant_timeout(facts), Basis(facts, packets.ON_MERCHANT_TIMEOUT)
            await self._decisions.apply(decision, by=Role.SYSTEM, before=[passed], basis=basis)
        elif status == CaseStatus.AWAITING_BUYER:
            passed = self.passed()
            next_status = commands.after_buyer_silence(steps.at.proposal is not None or self._asks.waiting())
            steps.at.proposal = None
            if next_status.is_final:
                steps.close(next_status)
            else:
                steps.wait_on(next_status, timers.agent)
            await steps.record(passed)
        elif status == CaseStatus.IN_ARBITRATION:  # never decided by default: the agent is reminded, the case raised
            passed = self.passed()
            steps.raise_urgency()
            steps.wait_on(CaseStatus.IN_ARBITRATION, timers.agent)
            reminder = {"timer": "T-AGENT", "raised": True, "next_deadline": steps.deadline_iso()}
            await steps.record(passed, steps.system("agent_reminder", reminder))
        elif status in returns.GOODS_WAITS:
            await self._goods.deadline(self.passed())

    def passed(self) -> EventDraft:
        """The running wait ran out: which timer, set when, with what pause or extension, and what happens now."""
        at = self._steps.at
        assert at.wait is not None
        data = {
            **deadlines.account(at.wait),
            "waited_on": transitions.AWAITING.get(at.status) or "courier",
            "case_status": at.status,
            "then": self._asks.then(at.proposal is not None),
        }
        return self._steps.system("deadline_passed", data)

    # --- the merchant's one extension -------------------------------------------------------------------------

    def check_extension(self, request: ActionRequest) -> None:
        at = self._steps.at
        try:
            cap = self._steps.case.deadlines.extension_max
            deadlines.check_extension(at.extended, request.extension, request.reason, cap)
        except deadlines.ExtensionRefused as refused:
            raise ApplicationError(refused.message, {"status": at.status}, type=refused.code) from None

    async def extend(self, request: ActionRequest) -> None:
        """The running wait's deadline moves and the wait is re-armed (not doubled)."""
        at = self._steps.at
        assert at.wait is not None and request.extension is not None
        at.wait = deadlines.extend(at.wait, request.extension, request.reason or "", workflow.now())
        at.deadline, at.extended = at.wait.deadline, True
        at.version += 1
        data = deadlines.account(at.wait)
        await self._steps.record(self._steps.event("deadline_extended", request.role, request.actor_id, data))
