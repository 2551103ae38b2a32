"""The running request for evidence (api.md `request_evidence`, the agents' UI update of the same name, the rule
book's own needs): a flow object the case workflow asks what to record. The rules of it are
`rulebook/evidence_requests.py`; this keeps the one request the case waits on, if any, and says what the timeline
records when it is made and answered."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from rulebook.deadlines import AfterDeadline, after_deadline
from rulebook.enums import CaseStatus, Party, Role
from rulebook.evidence_requests import Ask, answers
from rulebook.timers import Timers

REQUESTED = "evidence_requested"
ANSWERED = "evidence_answered"


@dataclass
class EvidenceAsks:
    running: Ask | None = None

    def start(self, ask: Ask) -> None:
        self.running = ask

    def clear(self) -> None:
        self.running = None

    def waiting(self, status: CaseStatus) -> bool:
        """Whether the case's current wait is this request's."""
        return self.running is not None and status == self.running.waits_in

    def answered_by(self, role: str, status: CaseStatus) -> bool:
        return answers(self.running, role, status)

    def then(self, status: CaseStatus, proposal_pending: bool) -> AfterDeadline:
        """What the running wait's silence leads to: a buyer's on a request is the platform's; else as any wait."""
        if self.waiting(status) and status == CaseStatus.AWAITING_BUYER:
            return AfterDeadline.EVIDENCE_NOT_GIVEN
        return after_deadline(status, proposal_pending)

    @staticmethod
    def wait_of(status: CaseStatus, timers: Timers) -> timedelta:
        """How long the case waits where an answer takes it (the merchant again, or the agent)."""
        return timers.merchant if status == CaseStatus.AWAITING_MERCHANT else timers.agent

    @staticmethod
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

    @staticmethod
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
