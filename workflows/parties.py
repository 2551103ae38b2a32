"""The commands of api.md's action table (the buyer's, the merchant's and an agent's), checked against the rule
book's transition table and then carried out by the flow each belongs to.

`check` runs twice: in the update's validator (an illegal command is refused before it reaches the history) and again
under the case's lock (an earlier command may have moved the case since).
"""

from temporalio.exceptions import ApplicationError

from rulebook import commands, returns, transitions
from rulebook.decisions import Decision
from rulebook.enums import Action, CaseStatus, Outcome, ShipmentState, ShipmentStep
from workflows.decisions import Basis, DecisionFlow
from workflows.evidence_requests import EvidenceAsks
from workflows.exceptions import ExceptionDesk
from workflows.messages import ActionRequest
from workflows.money import MoneyFlow
from workflows.returns import GoodsJourney
from workflows.steps import CaseSteps
from workflows.waits import Waits

INTERCEPT_RULE = "MERCHANT-INTERCEPT"


class PartyCommands:
    def __init__(
        self,
        steps: CaseSteps,
        decisions: DecisionFlow,
        asks: EvidenceAsks,
        goods: GoodsJourney,
        exceptions: ExceptionDesk,
        waits: Waits,
        money: MoneyFlow,
    ) -> None:
        self._steps = steps
        self._decisions = decisions
        self._asks = asks
        self._goods = goods
        self._exceptions = exceptions
        self._waits = waits
        self._money = money

    def irreversible(self) -> bool:
        """Something a withdrawal cannot undo happened: money moved, a parcel was sent or intercepted for the case,
        or the goods were sent back."""
        money, goods = self._money.state, self._goods
        return transitions.irreversible(
            money.refunded_here, money.couponed_here, goods.sent, goods.goods.parcels.values()
        )

    def check(self, request: ActionRequest) -> None:
        steps = self._steps
        status = {"status": steps.status}
        try:
            kind, proposed = steps.case.kind, steps.at.proposal is not None
            transitions.check(kind, steps.status, request.action, request.role, proposed, self.irreversible())
        except transitions.TransitionRefused as refused:
            raise ApplicationError(refused.message, status, type=refused.code) from None
        if request.action in returns.GOODS_ACTIONS:
            self._goods.check(request)
        if request.action == Action.RESOLVE:
            self._exceptions.check(request)
        if request.action == Action.EXTEND:
            self._waits.check_extension(request)
        if request.action == Action.REQUEST_EVIDENCE:
            self._asks.ask(request)
        if request.outcome is not None and not commands.carried_out(steps.case.kind, request.outcome):
            message = f"{request.outcome} cannot be carried out on a {steps.case.kind} case"
            raise ApplicationError(message, status, type="invalid_request")
        if request.outcome in commands.NEEDS_AMOUNT and request.amount_cents is None:
            raise ApplicationError(f"{request.outcome} needs amount_cents", status, type="invalid_request")
        refundable = self._money.refundable
        if request.amount_cents is not None and request.amount_cents > refundable:
            raise ApplicationError(f"amount exceeds the refundable {refundable} fen", status, type="invalid_amount")

    async def handle(self, request: ActionRequest) -> None:
        steps, action = self._steps, request.action
        actor = (request.role, request.actor_id)
        if action == Action.MESSAGE:
            said = steps.event("message", *actor, {"text": request.message})
            if self._asks.answered_by(request.role):
                await self._asks.answered(said, "message")
            else:
                await steps.record(said)
        elif action == Action.REQUEST_EVIDENCE:
            await self._asks.request(request)
        elif action == Action.APPROVE:
            basis = await self._decisions.person_basis()
            approved = steps.event("merchant_approved", *actor, {"return_address": request.return_address})
            self._goods.goods.return_address = request.return_address
            grant = returns.approval(steps.case.kind, steps.case.amount_cents, self._money.refundable)
            await self._decisions.apply(grant, request.role, [approved], request.actor_id, basis)
        elif action == Action.REJECT:
            steps.wait_on(CaseStatus.AWAITING_BUYER, steps.case.timers.buyer_reply)
            data = {
                "reason": request.reason,
                "claims": list(request.claims),
                "evidence_ids": list(request.evidence_ids),
            }
            await steps.record(steps.event("merchant_rejected", *actor, data))
        elif action == Action.PROPOSE:
            proposal = {"outcome": request.outcome, "amount_cents": request.amount_cents, "message": request.message}
            steps.at.proposal = proposal
            steps.wait_on(CaseStatus.AWAITING_BUYER, steps.case.timers.buyer_reply)
            await steps.record(steps.event("proposal_made", *actor, dict(proposal)))
        elif action == Action.ACCEPT_PROPOSAL:
            await self._accept_proposal(request)
        elif action in (Action.DECLINE_PROPOSAL, Action.ESCALATE):
            event_type = "proposal_declined" if action == Action.DECLINE_PROPOSAL else "escalated"
            steps.at.proposal = None
            steps.wait_on(CaseStatus.IN_ARBITRATION, steps.case.timers.agent)
            await steps.record(steps.event(event_type, *actor, {"reason": request.reason or request.message}))
        elif action == Action.WITHDRAW:
            steps.close(CaseStatus.WITHDRAWN)
            await steps.record(steps.event("withdrawn", *actor, {"reason": request.reason}))
        elif action == Action.DECIDE:
            outcome = request.outcome or Outcome.REJECT
            refundable = self._money.refundable
            ruling = commands.agent_ruling(outcome, request.amount_cents, request.rationale or "", refundable)
            basis = await self._decisions.person_basis()
            await self._decisions.apply(ruling, request.role, actor_id=request.actor_id, basis=basis)
        elif action in returns.GOODS_ACTIONS:
            await self._goods.act(request)
        elif action == Action.RESOLVE:
            await self._exceptions.resolve(request)
        elif action == Action.EXTEND:
            await self._waits.extend(request)
        elif action == Action.INTERCEPT:
            await self._merchant_intercepts(request)

    async def _accept_proposal(self, request: ActionRequest) -> None:
        steps = self._steps
        basis = await self._decisions.person_basis()
        proposal = steps.at.proposal or {}
        steps.at.proposal = None
        accepted = steps.event("proposal_accepted", request.role, request.actor_id, {"message": request.message})
        amount = proposal.get("amount_cents")
        decision = commands.accepted_proposal(
            Outcome(str(proposal["outcome"])), int(str(amount)) if amount is not None else None, self._money.refundable
        )
        await self._decisions.apply(decision, request.role, [accepted], request.actor_id, basis)

    async def _merchant_intercepts(self, request: ActionRequest) -> None:
        """The merchant's `intercept` (refund_only, the parcel shipped and not delivered)."""
        steps = self._steps
        facts = await steps.facts()
        if facts.shipment != ShipmentState.IN_TRANSIT:
            message = f"only a parcel in transit can be intercepted; the order's is {facts.shipment}"
            raise ApplicationError(message, {"status": steps.status}, type="invalid_state")
        decision = Decision(
            outcome=Outcome.REFUND,
            amount_cents=self._money.refundable,
            rules=(INTERCEPT_RULE,),
            rationale_zh="商家拦截包裹,包裹退回后退款。",
            rationale_en="The merchant intercepts the parcel; the refund follows its return.",
            shipment_step=ShipmentStep.INTERCEPT_PARCEL,
        )
        asked = steps.event("intercept_requested", request.role, request.actor_id, {"note": request.note})
        await self._decisions.apply(decision, request.role, [asked], request.actor_id, basis=Basis(facts))
