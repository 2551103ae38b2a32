"""A request for evidence (api.md `request_evidence`): whom it may ask, where the case waits, and where an answer or
silence takes it.

| asked by | asks | the case waits in | deadline | answered (upload or message) | silence |
| --- | --- | --- | --- | --- | --- |
| merchant | buyer | awaiting_buyer | T-BUYER-REPLY | awaiting_merchant, T-MERCHANT anew | to the platform |
| agent | buyer | awaiting_buyer | T-BUYER-REPLY | in_arbitration, T-AGENT | to the platform |
| agent | merchant | awaiting_merchant | T-MERCHANT | in_arbitration, T-AGENT | R-TIMEOUT |

`to the platform`: in_arbitration. Silence is the asked party's ordinary silence: a buyer who does not answer
leaves the platform to decide with what is on file (product.md §4, T-BUYER-REPLY); a merchant who does not
answer is R-TIMEOUT.
"""

from dataclasses import dataclass

from rulebook.enums import CaseStatus, Party, Role
from rulebook.timers import TimerId

WAITS_IN: dict[Party, CaseStatus] = {
    Party.BUYER: CaseStatus.AWAITING_BUYER,
    Party.MERCHANT: CaseStatus.AWAITING_MERCHANT,
}
TIMER: dict[Party, TimerId] = {Party.BUYER: TimerId.T_BUYER_REPLY, Party.MERCHANT: TimerId.T_MERCHANT}
MAX_WHAT = 500


class EvidenceRequestRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Ask:
    """A request that the case now waits on."""

    asked_by: Role
    party: Party
    what: str
    was: CaseStatus  # where the case was when asked

    @property
    def waits_in(self) -> CaseStatus:
        return WAITS_IN[self.party]

    @property
    def timer(self) -> TimerId:
        return TIMER[self.party]

    @property
    def answered_to(self) -> CaseStatus:
        """Where an answer takes the case: back to the agent who asked, else where it was."""
        return CaseStatus.IN_ARBITRATION if self.asked_by == Role.AGENT else self.was


def ask(asked_by: Role, party: str | None, what: str | None, was: CaseStatus) -> Ask:
    """The request, or EvidenceRequestRefused: a merchant asks only the buyer; an agent the buyer or the merchant."""
    text = (what or "").strip()
    if not text:
        raise EvidenceRequestRefused("say what evidence is asked for (`what`)")
    if party not in (Party.BUYER, Party.MERCHANT):
        raise EvidenceRequestRefused("ask the buyer or the merchant (`from`)")
    if asked_by == Role.MERCHANT and party != Party.BUYER:
        raise EvidenceRequestRefused("a merchant asks the buyer for evidence")
    if asked_by not in (Role.MERCHANT, Role.AGENT):
        raise EvidenceRequestRefused(f"a {asked_by} cannot ask for evidence")
    return Ask(asked_by, Party(party), text[:MAX_WHAT], was)


def answers(ask: Ask | None, role: str, status: CaseStatus) -> bool:
    """Whether an upload or a message by `role` answers the running request."""
    return ask is not None and status == ask.waits_in and role == ask.party
