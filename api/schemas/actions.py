"""The commands of api.md's action table: one body per action, told apart by `action`."""

from typing import Annotated, Literal, Self

from pydantic import ConfigDict, Field, model_validator

from api.auth import Caller
from api.schemas.orders import Cents, Strict
from rulebook.commands import NEEDS_AMOUNT
from rulebook.enums import Action, Claim, Outcome, Party, Resolution
from rulebook.timers import parse_duration
from workflows.messages import ActionRequest

Text = Annotated[str, Field(min_length=1, max_length=2000)]
Ids = Annotated[list[Annotated[str, Field(min_length=1, max_length=40)]], Field(max_length=50)]
Tracking = Annotated[str, Field(min_length=1, max_length=64)]
# `90s`, `30m`, `24h`: the case's own cap (AFTERSALES_EXTENSION_MAX when it opened) is the workflow's to check.
DurationText = Annotated[str, Field(pattern=r"^[1-9][0-9]{0,5}[smhd]$", examples=["24h"])]


class Approve(Strict):
    action: Literal[Action.APPROVE]
    return_address: Annotated[str, Field(max_length=500)] | None = None


class Reject(Strict):
    action: Literal[Action.REJECT]
    reason: Text
    evidence_ids: Ids = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list, max_length=len(Claim), description="what the merchant says")


class _AmountWhereNeeded(Strict):
    """`partial_refund` and `coupon` name their amount: the service never guesses one."""

    outcome: Outcome
    amount_cents: Cents | None = None

    @model_validator(mode="after")
    def _amount_given(self) -> Self:
        if self.outcome in NEEDS_AMOUNT and self.amount_cents is None:
            raise ValueError(f"amount_cents is required for {self.outcome}")
        return self


class Propose(_AmountWhereNeeded):
    action: Literal[Action.PROPOSE]
    outcome: Literal[Outcome.PARTIAL_REFUND, Outcome.EXCHANGE, Outcome.RESHIP, Outcome.COUPON]
    message: Text


class AcceptProposal(Strict):
    action: Literal[Action.ACCEPT_PROPOSAL]
    message: Text | None = None


class DeclineProposal(Strict):
    action: Literal[Action.DECLINE_PROPOSAL]
    message: Text | None = None


class ShipReturn(Strict):
    action: Literal[Action.SHIP_RETURN]
    carrier: Tracking
    tracking_no: Tracking


class ConfirmReceipt(Strict):
    action: Literal[Action.CONFIRM_RECEIPT]
    condition_ok: bool
    note: Text | None = None
    evidence_ids: Ids = Field(default_factory=list)


class ShipReplacement(Strict):
    action: Literal[Action.SHIP_REPLACEMENT]
    carrier: Tracking
    tracking_no: Tracking


class Resolve(Strict):
    action: Literal[Action.RESOLVE]
    resolution: Resolution
    coupon_cents: Cents | None = None
    amount_cents: Cents | None = None  # recommend_similar_refund_difference: the difference refunded
    note: Text | None = None
    evidence_ids: Ids = Field(default_factory=list)


class Intercept(Strict):
    action: Literal[Action.INTERCEPT]
    note: Text | None = None


class RequestEvidence(Strict):
    """The case waits on the party asked: T-BUYER-REPLY for the buyer, T-MERCHANT for the merchant."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    action: Literal[Action.REQUEST_EVIDENCE]
    from_: Literal[Party.BUYER, Party.MERCHANT] = Field(alias="from")
    what: Annotated[str, Field(min_length=1, max_length=500, examples=["拍清楚保质期和生产日期"])]


class Escalate(Strict):
    action: Literal[Action.ESCALATE]
    reason: Text


class Withdraw(Strict):
    action: Literal[Action.WITHDRAW]
    reason: Text | None = None


class Message(Strict):
    action: Literal[Action.MESSAGE]
    text: Text


class Decide(_AmountWhereNeeded):
    action: Literal[Action.DECIDE]
    outcome: Literal[
        Outcome.REFUND, Outcome.PARTIAL_REFUND, Outcome.RESHIP, Outcome.EXCHANGE, Outcome.REJECT, Outcome.COUPON
    ]
    rationale: Text


class Extend(Strict):
    action: Literal[Action.EXTEND]
    duration: DurationText
    reason: Text


ActionBody = Annotated[
    Approve
    | Reject
    | Propose
    | AcceptProposal
    | DeclineProposal
    | ShipReturn
    | ConfirmReceipt
    | ShipReplacement
    | Resolve
    | Escalate
    | Withdraw
    | Message
    | Decide
    | Extend
    | Intercept
    | RequestEvidence,
    Field(discriminator="action"),
]


def to_request(body: ActionBody, caller: Caller) -> ActionRequest:
    """The workflow's command for this body, sent by this caller (a merchant acts for its shop)."""
    data = body.model_dump(exclude_none=True)
    return ActionRequest(
        action=body.action,
        role=caller.role,
        actor_id=caller.id,  # the accountable person; their shop is the case's
        reason=data.get("reason"),
        message=data.get("text") or data.get("message") or data.get("note") or data.get("what"),
        outcome=data.get("outcome"),
        amount_cents=data.get("amount_cents"),
        rationale=data.get("rationale"),
        return_address=data.get("return_address"),
        evidence_ids=tuple(data.get("evidence_ids", ())),
        claims=tuple(data.get("claims", ())),
        carrier=data.get("carrier"),
        tracking_no=data.get("tracking_no"),
        condition_ok=data.get("condition_ok"),
        note=data.get("note"),
        resolution=data.get("resolution"),
        coupon_cents=data.get("coupon_cents"),
        extension=parse_duration(body.duration) if isinstance(body, Extend) else None,
        evidence_from=body.from_ if isinstance(body, RequestEvidence) else None,
    )
