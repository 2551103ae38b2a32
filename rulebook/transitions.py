"""Which action each role may take in which status, per case kind, and where it leads.

The update validators and the API's 409 `invalid_state` answers come from this table.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from rulebook.enums import Action, CaseKind, CaseStatus, Outcome, Party, Role, ShipmentDirection
from rulebook.labels import A_ROLE_EN, KIND_EN, STATUS_EN, plain_en, word

S = CaseStatus
A = Action
R = Role

AFTER_SALES = frozenset({CaseKind.REFUND_ONLY, CaseKind.RETURN_REFUND, CaseKind.EXCHANGE, CaseKind.NOT_RECEIVED})


@dataclass(frozen=True)
class Transition:
    status: CaseStatus
    action: Action
    roles: frozenset[Role]
    to: CaseStatus | None  # None: decided by the outcome (see `status_after`) or unchanged for `message`
    needs_proposal: bool = False
    before_irreversible: bool = False  # only while nothing irreversible happened (a withdrawal, product.md §5)


def _t(
    status: S, action: A, roles: set[R], to: S | None, needs_proposal: bool = False, before_irreversible: bool = False
) -> Transition:
    return Transition(status, action, frozenset(roles), to, needs_proposal, before_irreversible)


_REFUND_ONLY: tuple[Transition, ...] = (
    _t(S.AWAITING_MERCHANT, A.APPROVE, {R.MERCHANT}, S.RESOLVED),
    _t(S.AWAITING_MERCHANT, A.INTERCEPT, {R.MERCHANT}, None),  # the parcel in transit comes back, then the refund
    _t(S.AWAITING_MERCHANT, A.REJECT, {R.MERCHANT}, S.AWAITING_BUYER),
    _t(S.AWAITING_MERCHANT, A.PROPOSE, {R.MERCHANT}, S.AWAITING_BUYER),
    _t(S.AWAITING_MERCHANT, A.ESCALATE, {R.MERCHANT}, S.IN_ARBITRATION),
    _t(S.AWAITING_BUYER, A.ACCEPT_PROPOSAL, {R.BUYER}, S.RESOLVED, needs_proposal=True),
    _t(S.AWAITING_BUYER, A.DECLINE_PROPOSAL, {R.BUYER}, S.IN_ARBITRATION, needs_proposal=True),
    _t(S.AWAITING_BUYER, A.ESCALATE, {R.BUYER, R.MERCHANT}, S.IN_ARBITRATION),
)

_ANY_OPEN = tuple(s for s in CaseStatus if not s.is_final)
_EVERY_KIND: tuple[Transition, ...] = tuple(
    t
    for status in _ANY_OPEN
    for t in (
        _t(status, A.MESSAGE, {R.BUYER, R.MERCHANT, R.AGENT}, None),
        _t(status, A.DECIDE, {R.AGENT}, None),
    )
)
# A buyer may withdraw while nothing irreversible has happened (product.md §5): not once money moved, a parcel was
# sent again or intercepted, or the goods were sent back (the workflow says which); a parcel on its way is no
# longer the buyer's to call off.
_WITHDRAWABLE = (S.AWAITING_MERCHANT, S.AWAITING_BUYER, S.IN_ARBITRATION)
_WITHDRAW: tuple[Transition, ...] = tuple(
    _t(status, A.WITHDRAW, {R.BUYER}, S.WITHDRAWN, before_irreversible=True) for status in _WITHDRAWABLE
)

# The merchant's first answer and the buyer's answer to a proposal or rejection, as in refund_only.
_ANSWERS: tuple[Transition, ...] = (
    _t(S.AWAITING_MERCHANT, A.REJECT, {R.MERCHANT}, S.AWAITING_BUYER),
    _t(S.AWAITING_MERCHANT, A.PROPOSE, {R.MERCHANT}, S.AWAITING_BUYER),
    _t(S.AWAITING_MERCHANT, A.ESCALATE, {R.MERCHANT}, S.IN_ARBITRATION),
    _t(S.AWAITING_BUYER, A.ACCEPT_PROPOSAL, {R.BUYER}, S.RESOLVED, needs_proposal=True),
    _t(S.AWAITING_BUYER, A.DECLINE_PROPOSAL, {R.BUYER}, S.IN_ARBITRATION, needs_proposal=True),
    _t(S.AWAITING_BUYER, A.ESCALATE, {R.BUYER, R.MERCHANT}, S.IN_ARBITRATION),
)

# Goods go back: approval with a return address, the buyer ships within T-BUYER-SHIP, tracking moves the case to
# awaiting receipt when it says delivered (system events, not actions), the merchant confirms receipt (`to=None`:
# a bad condition goes to arbitration, a good one on to the refund or the replacement; see `rulebook.returns`).
_RETURN: tuple[Transition, ...] = (
    _t(S.AWAITING_MERCHANT, A.APPROVE, {R.MERCHANT}, S.AWAITING_RETURN_SHIPMENT),
    *_ANSWERS,
    _t(S.AWAITING_RETURN_SHIPMENT, A.SHIP_RETURN, {R.BUYER}, S.RETURN_IN_TRANSIT),
    _t(S.RETURN_IN_TRANSIT, A.CONFIRM_RECEIPT, {R.MERCHANT}, None),
    _t(S.AWAITING_RECEIPT, A.CONFIRM_RECEIPT, {R.MERCHANT}, None),
    _t(S.AWAITING_RECEIPT, A.ESCALATE, {R.BUYER, R.MERCHANT}, S.IN_ARBITRATION),
)

# The replacement ships and the case closes when tracking says it was delivered. A merchant out of stock for the
# replacement offers money instead (`propose`), which the buyer accepts or declines as any proposal.
_EXCHANGE: tuple[Transition, ...] = (
    *_RETURN,
    _t(S.AWAITING_REPLACEMENT, A.SHIP_REPLACEMENT, {R.MERCHANT}, S.REPLACEMENT_IN_TRANSIT),
    _t(S.AWAITING_REPLACEMENT, A.PROPOSE, {R.MERCHANT}, S.AWAITING_BUYER),
    _t(S.AWAITING_REPLACEMENT, A.ESCALATE, {R.BUYER}, S.IN_ARBITRATION),
    _t(S.REPLACEMENT_IN_TRANSIT, A.ESCALATE, {R.BUYER}, S.IN_ARBITRATION),
)

# A return may also be withdrawn while the buyer has not sent the goods back yet.
_EVERY_RETURN: tuple[Transition, ...] = (
    *_EVERY_KIND,
    *_WITHDRAW,
    _t(S.AWAITING_RETURN_SHIPMENT, A.WITHDRAW, {R.BUYER}, S.WITHDRAWN, before_irreversible=True),
)

# The merchant checks with the courier, then reships or refunds (approve) or rejects with the courier's record.
_NOT_RECEIVED: tuple[Transition, ...] = (_t(S.AWAITING_MERCHANT, A.APPROVE, {R.MERCHANT}, S.RESOLVED), *_ANSWERS)

# Exceptions: the merchant picks a resolution from the menu (§7); either party may ask the platform to step in.
# The system opened them, so there is nothing for the buyer to withdraw.
_EXCEPTION: tuple[Transition, ...] = (
    _t(S.AWAITING_MERCHANT, A.RESOLVE, {R.MERCHANT}, S.RESOLVED),
    _t(S.AWAITING_MERCHANT, A.ESCALATE, {R.BUYER, R.MERCHANT}, S.IN_ARBITRATION),
    *_EVERY_KIND,
)

# The merchant may ask once for more time while the case waits on them (once: `rulebook.deadlines`).
_AWAITING_MERCHANT = (S.AWAITING_MERCHANT, S.AWAITING_RECEIPT, S.AWAITING_REPLACEMENT)
_EXTEND: tuple[Transition, ...] = tuple(_t(status, A.EXTEND, {R.MERCHANT}, None) for status in _AWAITING_MERCHANT)

# A request for evidence: the merchant asks the buyer while the case is theirs; an agent asks either party while the
# parties negotiate or the case is in arbitration (`to=None`: the asked party's wait, rulebook/evidence_requests.py).
_ASK: tuple[Transition, ...] = (
    _t(S.AWAITING_MERCHANT, A.REQUEST_EVIDENCE, {R.MERCHANT, R.AGENT}, None),
    _t(S.AWAITING_BUYER, A.REQUEST_EVIDENCE, {R.AGENT}, None),
    _t(S.IN_ARBITRATION, A.REQUEST_EVIDENCE, {R.AGENT}, None),
)

TABLE: dict[CaseKind, tuple[Transition, ...]] = {
    CaseKind.REFUND_ONLY: _REFUND_ONLY + _EVERY_KIND + _WITHDRAW + _EXTEND + _ASK,
    CaseKind.RETURN_REFUND: _RETURN + _EVERY_RETURN + _EXTEND + _ASK,
    CaseKind.EXCHANGE: _EXCHANGE + _EVERY_RETURN + _EXTEND + _ASK,
    CaseKind.NOT_RECEIVED: _NOT_RECEIVED + _EVERY_KIND + _WITHDRAW + _EXTEND + _ASK,
    CaseKind.LOGISTICS_STALLED: _EXCEPTION + _EXTEND + _ASK,
    CaseKind.MISSED_SHIPMENT: _EXCEPTION + _EXTEND + _ASK,
    CaseKind.OVERSOLD: _EXCEPTION + _EXTEND + _ASK,
}

# Who the case waits on in each open status.
AWAITING: dict[CaseStatus, Party | None] = {
    S.AWAITING_MERCHANT: Party.MERCHANT,
    S.AWAITING_BUYER: Party.BUYER,
    S.AWAITING_RETURN_SHIPMENT: Party.BUYER,
    S.RETURN_IN_TRANSIT: None,  # the courier carries the goods: no party's move (a T-STALL deadline still runs)
    S.AWAITING_RECEIPT: Party.MERCHANT,
    S.AWAITING_REPLACEMENT: Party.MERCHANT,
    S.REPLACEMENT_IN_TRANSIT: None,
    S.IN_ARBITRATION: Party.AGENT,
    S.RESOLVED: None,
    S.REJECTED: None,
    S.WITHDRAWN: None,
    S.CANCELLED: None,
}


class TransitionRefused(Exception):
    """The action is not allowed now. `code` is `invalid_state` (wrong status) or `forbidden` (wrong role)."""

    def __init__(self, code: str, message: str, status: CaseStatus) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


IRREVERSIBLE = "something irreversible has happened (money moved, a parcel was sent, or the goods were sent back)"


def irreversible(
    refunded_cents: int, couponed_cents: int, goods_sent_back: bool, parcels: Iterable[ShipmentDirection]
) -> bool:
    """product.md §5: what a withdrawal cannot undo — money the case moved, the goods sent back, or a parcel sent for
    the case (a reshipment or a replacement) or intercepted (the order's own, coming back)."""
    sent_again = any(d in (ShipmentDirection.REPLACEMENT, ShipmentDirection.OUTBOUND) for d in parcels)
    return refunded_cents > 0 or couponed_cents > 0 or goods_sent_back or sent_again


def supported(kind: CaseKind) -> bool:
    return kind in TABLE


def allowed_actions(
    kind: CaseKind, status: CaseStatus, role: Role, proposal_pending: bool = False, irreversible: bool = False
) -> list[Action]:
    return [
        t.action
        for t in TABLE.get(kind, ())
        if t.status == status and role in t.roles and _holds(t, proposal_pending, irreversible)
    ]


def _holds(t: Transition, proposal_pending: bool, irreversible: bool) -> bool:
    return (proposal_pending or not t.needs_proposal) and not (irreversible and t.before_irreversible)


def role_may(kind: CaseKind, action: Action, role: Role) -> bool:
    """Whether `role` may ever take `action` on a case of `kind`, whatever its status (else 403, not 409)."""
    return any(t.action == action and role in t.roles for t in TABLE.get(kind, ()))


def check(
    kind: CaseKind,
    status: CaseStatus,
    action: Action,
    role: Role,
    proposal_pending: bool = False,
    irreversible: bool = False,
) -> Transition:
    """The transition `role` takes with `action`, or TransitionRefused saying why not."""
    candidates = [t for t in TABLE.get(kind, ()) if t.action == action]
    if candidates and not any(role in t.roles for t in candidates):
        what = word(KIND_EN, kind)
        said = f"{word(A_ROLE_EN, role)} cannot {plain_en(action)} on {'an' if what[0] in 'aeiou' else 'a'} {what} case"
        raise TransitionRefused("forbidden", said[0].upper() + said[1:], status)
    for t in candidates:
        if t.status == status and role in t.roles and _holds(t, proposal_pending, irreversible):
            return t
    if any(t.status == status and t.before_irreversible for t in candidates):
        raise TransitionRefused("invalid_state", f"Cannot {plain_en(action)}: {IRREVERSIBLE}", status)
    if any(t.status == status for t in candidates):
        raise TransitionRefused("invalid_state", f"There is no proposal to {action.split('_')[0]}", status)
    raise TransitionRefused(
        "invalid_state", f"Cannot {plain_en(action)} a case that is {word(STATUS_EN, status)}", status
    )


def status_after(outcome: Outcome) -> CaseStatus:
    """Where a decision leaves the case: a reject closes it rejected, an agent hand-off waits on the agent."""
    if outcome == Outcome.REJECT:
        return S.REJECTED
    if outcome == Outcome.TO_AGENT:
        return S.IN_ARBITRATION
    return S.RESOLVED
