"""A case's opening: the facts read once, urgency triaged (R-URGENT), the case waiting on the merchant (T-MERCHANT),
the merchant alerted with the facts for an order exception, proof gathered for a `not_received`, the rule book's
needs put to the buyer, and a decision at once where the rule book makes one (an unshipped refund, R-SMALL).
"""

from temporalio import workflow

from rulebook import commands, decide, evidence_needs, exceptions, packets
from rulebook.enums import CaseKind, CaseStatus, Role
from rulebook.facts import CaseFacts
from workflows import system_evidence
from workflows.decisions import Basis, DecisionFlow
from workflows.evidence_requests import rule_request
from workflows.exceptions import ExceptionDesk
from workflows.messages import PLATFORM_ID, EventDraft
from workflows.money import MoneyFlow
from workflows.remedies import RemedyFlows
from workflows.steps import CaseSteps

NOT_RECEIVED_PATCH = "not-received-gathers-proof"  # before it, nobody was asked for proof on opening
EVIDENCE_NEEDS_PATCH = "rule-evidence-requested"  # before it, R-EXPIRED's photo was never asked for


class Opening:
    def __init__(
        self,
        steps: CaseSteps,
        decisions: DecisionFlow,
        money: MoneyFlow,
        remedies: RemedyFlows,
        exceptions: ExceptionDesk,
    ) -> None:
        self._steps = steps
        self._decisions = decisions
        self._money = money
        self._remedies = remedies
        self._exceptions = exceptions

    async def open(self) -> None:
        steps = self._steps
        case = steps.case
        facts = await steps.facts()
        self._money.state.refundable = commands.refundable(case.amount_cents, facts.paid_cents, facts.refunded_cents)
        urgency = decide.triage(facts)
        steps.at.urgent = urgency.urgent
        steps.wait_on(CaseStatus.AWAITING_MERCHANT, case.timers.merchant)
        data = {
            "kind": case.kind,
            "amount_cents": case.amount_cents,
            "reason": case.reason,
            "urgent": urgency.urgent,
            "urgent_rules": list(urgency.rules),
            "offer_first": list(urgency.resolutions),
            # the settings the rules read, fixed for the case now (GET /cases/{id}/facts previews with them)
            "settings": packets.settings(case.timers, case.thresholds, case.deadlines),
        }
        opener = (Role.BUYER, case.buyer_id)
        alert: list[EventDraft] = []
        if exceptions.is_exception(case.kind):  # opened by the system's scan; the merchant is alerted
            opener = (Role.SYSTEM, PLATFORM_ID)
            alert = [self._exceptions.alert(facts, urgency.urgent)]
        relied_on = system_evidence.at_open(case.case_id, facts)
        opened = steps.event(
            "case_opened", *opener, {**data, "deadline": steps.deadline_iso(), "system_evidence": relied_on}
        )
        decision = decide.on_open(facts)
        if decision is None and case.kind == CaseKind.NOT_RECEIVED and workflow.patched(NOT_RECEIVED_PATCH):
            alert += await self._remedies.gather_delivery_proof()
        if decision is None and workflow.patched(EVIDENCE_NEEDS_PATCH):
            alert += self._rule_requests(facts)
        if decision is None:
            await steps.record(opened, *alert)
        else:
            basis = Basis(facts, packets.ON_OPEN)
            await self._decisions.apply(decision, by=Role.SYSTEM, before=[opened], basis=basis)

    async def decide_at_once(self) -> None:
        """The rules that need no merchant (R-SMALL) often need the buyer's photos, which come after opening."""
        facts = await self._steps.facts()
        decision = decide.on_open(facts)
        if decision is not None:
            await self._decisions.apply(decision, by=Role.SYSTEM, basis=Basis(facts, packets.ON_OPEN))

    def _rule_requests(self, facts: CaseFacts) -> list[EventDraft]:
        """The rule book's needs put to the buyer as requests for evidence (rulebook/evidence_needs.py)."""
        deadline = self._steps.deadline_iso()
        asks = [rule_request(n.party, n.what, n.rule, deadline) for n in evidence_needs.on_open(facts)]
        return [self._steps.system("evidence_requested", data) for data in asks]
