"""The running request for evidence (api.md `request_evidence`, the agents' UI update of the same name, the rule
book's own needs): a flow of the case workflow. The rules of it are `rulebook/evidence_requests.py`; the one
request the case waits on, if any, is part of the case's wait (`state.Position.asked`: any new wait ends it), and
this says what the timeline records when it is made and answered."""

from datetime import timedelta
from typing import Any

from temporalio.exceptions import ApplicationError

from rulebook import evidence_requests
from rulebook.deadlines import AfterDeadline, after_deadline
from rulebook.enums import CaseStatus, Party, Role
from rulebook.evidence_requests import Ask, answers
from rulebook.timers import Timers
from workflows.messages import ActionRequest, EventDraft
from workflows.steps import CaseSteps

REQUESTED = "evidence_requested"
ANSWERED = "evidence_answered"


class EvidenceAsks:
    def __init__(self, steps: CaseSteps) -> None:
        self._steps = steps

    @property
    def running(self) -> Ask | None:
        return self._steps.at.asked

    def waiting(self) -> bool:
        """Whether the case's current wait is this request's."""
        return self.running is not None and self._steps.status == self.running.waits_in

    def answered_by(self, role: str) -> bool:
        return answers(self.running, role, self._steps.status)

    def then(self, proposal_pending: bool) -> AfterDeadline:
        """What the running wait's silence leads to: a buyer's on a request is the platform's; else as any wait."""
        status = self._steps.status
        if self.waiting() and status == CaseStatus.AWAITING_BUYER:
            return AfterDeadline.EVIDENCE_NOT_GIVEN
        return after_deadline(status, proposal_pending)

    def ask(self, request: ActionRequest) -> Ask:
        """The request as the rule book allows it (raises `invalid_request` otherwise)."""
        try:
            return evidence_requests.ask(request.role, request.evidence_from, request.message, self._steps.status)
        except evidence_requests.EvidenceRequestRefused as refused:
            status = {"status": self._steps.status}
            raise ApplicationError(refused.message, status, type="invalid_request") from None

    async def request(self, request: ActionRequest) -> None:
        """The case waits on the asked party (T-BUYER-REPLY or T-MERCHANT); both parties are told."""
        steps = self._steps
        asked = self.ask(request)
        steps.wait_on(asked.waits_in, steps.case.timers.wait(asked.timer))
        steps.at.asked = asked
        data = requested(asked, steps.deadline_iso())
        await steps.record(steps.event(REQUESTED, request.role, request.actor_id, data))

    async def answered(self, answer: EventDraft, how: str) -> None:
        """The asked party's upload or message: the case goes back to where it was, or to the agent who asked."""
        steps = self._steps
        asked = self.running
        assert asked is not None
        steps.wait_on(asked.answered_to, wait_of(asked.answered_to, steps.case.timers))
        data = answered(asked, how, steps.status, steps.deadline_iso())
        await steps.record(answer, steps.system(ANSWERED, data))


def wait_of(status: CaseStatus, timers: Timers) -> timedelta:
    """How long the case waits where an answer takes it (the merchant again, or the agent)."""
    return timers.merchant if status == CaseStatus.AWAITING_MERCHANT else timers.agent


def requested(ask: Ask, deadline: str | None) -> dict[str, Any]:
    return {
        "from": ask.party,
        "party": ask.party,  # as the agents' UI update recorded it before the request waited
        "what": ask.what,
        "asked_by": ask.asked_by,
        "timer": ask.timer,
        "deadline": deadline,
        "case_status": ask.waits_in,
    }


def answered(ask: Ask, how: str, status: CaseStatus, deadline: str | None) -> dict[str, Any]:
    return {
        "from": ask.party,
        "what": ask.what,
        "asked_by": ask.asked_by,
        "answered_with": how,  # evidence | message
        "case_status": status,
        "deadline": deadline,
    }


def rule_request(party: Party, what: str, rule: str, deadline: str | None) -> dict[str, Any]:
    """A rule book's need put to a party on opening (R-EXPIRED, R-NOT-RECEIVED); the case keeps waiting on the
    merchant, and the buyer's upload is what the rule decides on."""
    return {"from": party, "what": what, "asked_by": Role.SYSTEM, "rule": rule, "deadline": deadline}
