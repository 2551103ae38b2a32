"""The model SM-01 holds the service to: what `rulebook.transitions` allows, and the moves the clock and the courier
make by themselves (product.md §4: R-TIMEOUT, a buyer's silence, T-BUYER-SHIP, T-RECEIPT, T-STALL; tracking)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from httpx import Response

from rulebook import transitions
from rulebook.enums import Action, CaseKind, CaseStatus, Role
from tests.api.helpers import OrderRef

S = CaseStatus

# Where a decision may leave a case (an agent's `decide`, R-TIMEOUT, a received return): closed, with an agent, or
# on to the goods' next leg; a refund the ledger refuses or caps goes to an agent instead of closing resolved.
DECIDED = frozenset({S.RESOLVED, S.REJECTED, S.IN_ARBITRATION, S.AWAITING_RETURN_SHIPMENT, S.REPLACEMENT_IN_TRANSIT})
BY_ITSELF: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.AWAITING_MERCHANT: DECIDED | {S.RETURN_IN_TRANSIT, S.AWAITING_REPLACEMENT},  # R-TIMEOUT (an interception)
    S.AWAITING_BUYER: frozenset({S.IN_ARBITRATION, S.REJECTED}),  # a proposal lapses; a rejection stands
    S.AWAITING_RETURN_SHIPMENT: frozenset({S.WITHDRAWN}),  # T-BUYER-SHIP: the request closes
    S.RETURN_IN_TRANSIT: frozenset({S.AWAITING_RECEIPT, S.IN_ARBITRATION, S.RESOLVED}),  # delivered; stalled; returned
    S.AWAITING_RECEIPT: frozenset({S.RESOLVED, S.AWAITING_REPLACEMENT, S.IN_ARBITRATION}),  # T-RECEIPT
    S.AWAITING_REPLACEMENT: frozenset({S.IN_ARBITRATION}),
    S.REPLACEMENT_IN_TRANSIT: frozenset({S.RESOLVED, S.IN_ARBITRATION}),  # delivered; stalled
    S.IN_ARBITRATION: frozenset(),
}
# Where a command the table leaves open (`to=None`) may land.
OPEN_LANDING: dict[Action, frozenset[CaseStatus]] = {
    Action.DECIDE: DECIDED,
    Action.CONFIRM_RECEIPT: frozenset({S.RESOLVED, S.AWAITING_REPLACEMENT, S.IN_ARBITRATION}),
}


@dataclass
class Tracked:
    case_id: str
    kind: CaseKind
    order: OrderRef
    status: CaseStatus
    closed_with_events: int | None = None  # the timeline's length when the case was first seen closed
    verified_at: int = -1  # the timeline's length when its chain was last verified


# What a withdrawal cannot undo (product.md §5): money moved, a parcel sent again or intercepted, the goods sent back.
IRREVERSIBLE = frozenset(
    {
        "refund_executed",
        "refund_capped",
        "coupon_issued",
        "coupon_capped",
        "reshipment_created",
        "parcel_intercepted",
        "return_shipped",
        "replacement_shipped",
    }
)


@dataclass(frozen=True)
class Before:
    status: CaseStatus
    proposal_pending: bool
    irreversible: bool = False


class Model:
    def __init__(self) -> None:
        self.cases: list[Tracked] = []
        self.taken: dict[Action, int] = {}

    def opened(self, case: Tracked) -> None:
        self.cases.append(case)

    def pick(self, index: int) -> Tracked:
        return self.cases[index % len(self.cases)]

    @staticmethod
    def allowed(case: Tracked, before: "Before", role: Role) -> list[Action]:
        return transitions.allowed_actions(case.kind, before.status, role, before.proposal_pending, before.irreversible)

    @staticmethod
    def read(case: dict[str, object], timeline: Sequence[Mapping[str, object]] = ()) -> Before:
        done = any(event["type"] in IRREVERSIBLE for event in timeline)
        return Before(CaseStatus(str(case["status"])), case.get("proposal") is not None, done)

    def answered(self, case: Tracked, before: Before, action: Action, role: Role, response: Response) -> None:
        """The service's answer to a command, against what the table says of it in the status it was sent in."""
        code = response.json()["error"]["code"] if response.status_code >= 400 else None
        if not transitions.role_may(case.kind, action, role):  # never this role's, in any status: 403 first
            assert (response.status_code, code) == (403, "forbidden"), (case.kind, action, role, response.text)
            return
        try:
            allowed = transitions.check(
                case.kind, before.status, action, role, before.proposal_pending, before.irreversible
            )
        except transitions.TransitionRefused as refused:
            assert response.status_code in (403, 409, 422, 429), (action, role, before, response.text)
            if response.status_code in (403, 409):
                assert code == ("forbidden" if refused.code == "forbidden" else "invalid_state"), response.text
            return
        assert response.status_code not in (403, 409) or code not in ("forbidden", "invalid_state"), (
            f"the table allows {role} to {action} from {before.status}, the service said {response.text}"
        )
        if response.status_code != 200:
            return  # refused for what it carried (422: an amount, an address) or by a cap (429)
        self.taken[action] = self.taken.get(action, 0) + 1
        landed = CaseStatus(response.json()["status"])
        assert landed in _landings(allowed, action), (case.kind, before.status, action, landed)
        case.status = landed

    def observed(self, case: Tracked, current: dict[str, object], events: int) -> None:
        """What a case is now: a closed one never changes; an open one moved only as the model allows."""
        status = CaseStatus(str(current["status"]))
        if case.closed_with_events is not None:
            assert (status, events) == (case.status, case.closed_with_events), (case.case_id, case.status, status)
            return
        if status != case.status:
            assert status in BY_ITSELF.get(case.status, frozenset()), (case.kind, case.status, status)
            case.status = status
        if status.is_final:
            case.closed_with_events = events


def _landings(allowed: transitions.Transition, action: Action) -> frozenset[CaseStatus]:
    if allowed.to is None:
        return OPEN_LANDING.get(action, frozenset({allowed.status}))
    if allowed.to == S.RESOLVED:  # the money moves through the ledger, which may send the case to an agent
        return frozenset({S.RESOLVED, S.IN_ARBITRATION})
    return frozenset({allowed.to})
