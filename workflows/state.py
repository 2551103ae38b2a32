"""A case's whole state: one serialisable value the case workflow holds and hands to continue-as-new as it is.

Each part belongs to one flow, which alone changes it; the position (status, wait, decision, proposal, urgency)
is the case as the timeline's projection shows it, changed only through `workflows.steps.CaseSteps`.

| part | owner | what it keeps |
| --- | --- | --- |
| `position` | `steps.CaseSteps` | status, the running wait, the standing decision and proposal, urgency |
| `chain` | `steps.CaseSteps` | the timeline's length and each event's hash as stored (the `chain` query's anchor) |
| `money` | `money.MoneyFlow` | the business keys' numbering, what this case refunded and couponed |
| `goods` | `returns.GoodsJourney` | where the goods are on their way back, the grant, the case's parcels |
| `remedies` | `remedies.RemedyFlows` | each remedy's calls so far (their business keys' numbering) |
| `exceptions` | `exceptions.ExceptionDesk` | the §7 menu the merchant was alerted with |
| `override` | `override.OverrideDesk` | the platform's decision was overridden already |
| `story` | `steps.CaseSteps` | what the Temporal UI's details tell |
| `applied` | the conductor | the API's keyed updates applied (a retry sent to a later run is not applied again) |
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rulebook.deadlines import Wait
from rulebook.enums import CaseStatus, Outcome, Resolution, ShipmentDirection
from rulebook.evidence_requests import Ask
from rulebook.returns import Stage
from workflows.story import CaseStory

UPDATE_IDS_KEPT = 1000  # the newest keyed update ids kept; a retry comes long before 1 000 more updates


@dataclass
class Position:
    status: CaseStatus = CaseStatus.AWAITING_MERCHANT
    deadline: datetime | None = None
    wait: Wait | None = None  # the running wait: timer, paused time and extension included
    decision: dict[str, Any] | None = None
    proposal: dict[str, Any] | None = None
    urgent: bool = False
    asked: Ask | None = None  # the request for evidence the running wait is for
    extended: bool = False  # the merchant's one extension per case was used
    closed_at: datetime | None = None  # when the case reached a final status (the override window's start)
    version: int = 0  # moves on with every change of the wait: the main loop re-arms its timer


@dataclass
class Chain:
    seq: int = 0  # events on the timeline
    anchor: list[str | None] = field(default_factory=list)  # each event's hash as stored; None: before anchors


@dataclass
class MoneyState:
    moves: int = 0  # the business keys' numbering (`case-<id>:refund:<n>`)
    refundable: int = 0  # a hint of what is left to refund (the ledger decides)
    refunded_here: int = 0  # what this case's refunds paid, less reversals
    couponed_here: int = 0  # what this case's coupons paid


@dataclass
class Goods:
    """Where the goods are, what the grant was, and the parcels' tracking numbers (workflows/returns.py)."""

    stage: Stage = Stage.AWAITED
    outcome: Outcome = Outcome.RETURN_REFUND
    granted_cents: int = 0
    return_address: str | None = None
    parcels: dict[str, ShipmentDirection] = field(default_factory=dict)  # tracking number → direction
    warn_at: datetime | None = None  # T-BUYER-SHIP's warning, until given
    seen: set[str] = field(default_factory=set)  # tracking events already on the timeline


@dataclass
class RemedyState:
    """Each remedy flow's calls so far, numbering its business keys (`case-<id>:reship:<n>`)."""

    reship: int = 0
    intercept: int = 0
    parcel: int = 0
    stock: int = 0
    intercept_refund_cents: int = 0  # what an accepted interception refunds once the parcel is back


@dataclass
class ExceptionState:
    menu: tuple[Resolution, ...] = ()  # the §7 menu the merchant was alerted with


@dataclass
class OverrideState:
    overridden: bool = False  # the platform's decision was overridden already


@dataclass
class CaseState:
    position: Position = field(default_factory=Position)
    chain: Chain = field(default_factory=Chain)
    money: MoneyState = field(default_factory=MoneyState)
    goods: Goods = field(default_factory=Goods)
    remedies: RemedyState = field(default_factory=RemedyState)
    exceptions: ExceptionState = field(default_factory=ExceptionState)
    override: OverrideState = field(default_factory=OverrideState)
    story: CaseStory = field(default_factory=CaseStory)
    applied: list[str] = field(default_factory=list)
    opened: bool = False  # the opening step is stored: the case takes actions
    runs: int = 1  # the number of this run (the first run is 1)

    def remember(self, update_id: str) -> None:
        self.applied.append(update_id)
        del self.applied[:-UPDATE_IDS_KEPT]
