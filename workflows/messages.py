"""Payloads between the API, the case workflow and its activities: ids and small values, never blobs."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rulebook.deadlines import DeadlinePolicy, Wait
from rulebook.enums import (
    Action,
    CaseKind,
    CaseStatus,
    Claim,
    EvidenceKind,
    Outcome,
    Party,
    Resolution,
    Role,
    ShipmentDirection,
    TrackingStatus,
)
from rulebook.evidence_requests import Ask
from rulebook.facts import Thresholds
from rulebook.timers import Timers
from workflows.state import CaseState, Goods

PLATFORM_ID = "platform"
# A case's run continues as new past this many history events (or when the server suggests it), well before
# Temporal warns (10 240 events, 10 MB) or ends it (51 200, 50 MB); `AFTERSALES_HISTORY_EVENTS_LIMIT` sets it.
HISTORY_EVENTS_LIMIT = 3000


@dataclass(frozen=True)
class CarriedCase:
    """The state a run before the one carried state (`workflows/state.py`) handed on when its history grew long;
    a run that takes it converts it once (`workflows/continuation.py`)."""

    status: CaseStatus
    deadline: datetime | None
    wait: Wait | None
    extended: bool
    proposal: dict[str, Any] | None
    decision: dict[str, Any] | None
    refundable: int
    urgent: bool
    seq: int  # events on the timeline
    money_moves: int  # the business keys' numbering (`case-<id>:refund:<n>`)
    remedy_calls: dict[str, int]  # each remedy flow's calls so far, for the same reason
    intercept_refund_cents: int
    goods: Goods
    menu: tuple[Resolution, ...]
    asked: Ask | None  # the request for evidence the case waits on
    closed_at: datetime | None
    overridden: bool
    refunded_here: int
    anchor: tuple[str | None, ...]  # each event's hash as stored (the `chain` query)
    story: dict[str, Any]  # what the Temporal UI's details tell (workflows/story.py)
    update_ids: tuple[str, ...]  # the API's keyed updates applied, newest last: a retry is not applied twice
    runs: int  # the number of the run it is handed to (the first run is 1)
    # coupons this case's receipts issued (with `refunded_here`: the case's `rulebook.settlement.Moved`)
    coupons_here: int = 0


@dataclass(frozen=True)
class CaseInput:
    case_id: str
    kind: CaseKind
    order_id: str
    buyer_id: str
    shop_id: str
    amount_cents: int
    reason: str
    urgent: bool
    timers: Timers
    thresholds: Thresholds = field(default_factory=Thresholds)
    deadlines: DeadlinePolicy = field(default_factory=DeadlinePolicy)  # paused days and the extension cap
    history_events_limit: int = HISTORY_EVENTS_LIMIT
    carried: CarriedCase | None = None  # a run continued from one of before the one carried state
    state: CaseState | None = None  # a run continued from an earlier one: the case's whole state (None: a new case)


@dataclass(frozen=True)
class ActionRequest:
    """One command of api.md's action table, with who sends it (already authenticated and scoped)."""

    action: Action
    role: Role
    actor_id: str
    reason: str | None = None
    message: str | None = None
    outcome: Outcome | None = None
    amount_cents: int | None = None
    rationale: str | None = None
    return_address: str | None = None
    evidence_ids: tuple[str, ...] = ()
    claims: tuple[Claim, ...] = ()  # what a rejecting merchant says of the goods (R-WORN listens for these)
    carrier: str | None = None  # ship_return, ship_replacement
    tracking_no: str | None = None
    condition_ok: bool | None = None  # confirm_receipt
    note: str | None = None
    resolution: Resolution | None = None  # resolve: the merchant's choice from the §7 menu
    coupon_cents: int | None = None
    extension: timedelta | None = None  # extend: how much more time the merchant asks for
    evidence_from: Party | None = None  # request_evidence: whom the evidence is asked of (`what` is `message`)


@dataclass(frozen=True)
class ScanResult:
    stalled: tuple[str, ...] = ()  # case ids opened (the first REPORTED of each kind; `opened` counts them all)
    missed: tuple[str, ...] = ()
    restarted: tuple[str, ...] = ()  # opened before, whose workflow had not confirmed its start
    opened: int = 0


@dataclass(frozen=True)
class PageCursor:
    """Where a keyset-paged scan stopped: the last row's sort key (a time) and its id."""

    at: datetime
    key: str


@dataclass(frozen=True)
class ScanPage:
    shop_id: str | None
    size: int
    after: PageCursor | None = None


@dataclass(frozen=True)
class PageResult:
    opened: tuple[str, ...] = ()
    next: PageCursor | None = None  # None: the last page


@dataclass(frozen=True)
class ScanRequest:
    """One round of the exception scan; `shop_id` narrows it to one shop (tests, a shop's own re-scan). A round
    that continues as new carries where it is (`phase`, `cursor`) and what it opened so far (`found`)."""

    shop_id: str | None = None
    page_size: int = 100
    pages_per_run: int = 50  # pages before the round continues as new
    phase: str = "stalled"  # stalled → missed → restart
    cursor: PageCursor | None = None
    found: ScanResult = ScanResult()


@dataclass(frozen=True)
class EvidenceAdded:
    """A file already stored content-addressed; the workflow puts it on the timeline (its hash joins the chain)."""

    evidence_id: str
    kind: EvidenceKind
    sha256: str
    media_type: str
    size_bytes: int
    role: Role
    actor_id: str
    note: str = ""


@dataclass(frozen=True)
class TrackingUpdate:
    """A logistics feed event for a parcel of the case (its return or its replacement), as the feed sent it."""

    tracking_no: str
    status: TrackingStatus
    at: datetime
    location: str = ""

    @property
    def key(self) -> str:
        """The same event sent twice has the same key (the feed's own uniqueness: number, status, time)."""
        return f"{self.tracking_no}|{self.status}|{self.at.timestamp()}"


@dataclass(frozen=True)
class CaseShipment:
    """A parcel of the case stored with its step, so the logistics feed's events find their way to the case."""

    direction: ShipmentDirection
    carrier: str
    tracking_no: str


@dataclass(frozen=True)
class EventDraft:
    type: str
    actor_role: str
    actor_id: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Projection:
    status: CaseStatus
    awaiting: Party | None
    deadline: datetime | None
    decision: dict[str, Any] | None
    proposal: dict[str, Any] | None
    urgent: bool
    updated_at: datetime


@dataclass(frozen=True)
class DecisionPacket:
    """A decision's packet (rulebook/packets.py) and its SHA-256, which the decision's event carries."""

    sha256: str
    body: dict[str, Any]


@dataclass(frozen=True)
class StepRecord:
    """Events to append (numbered from `first_seq`) and the case's state after them, stored in one transaction."""

    case_id: str
    first_seq: int
    events: tuple[EventDraft, ...]
    projection: Projection
    shipments: tuple[CaseShipment, ...] = ()
    packets: tuple[DecisionPacket, ...] = ()  # the packets of the step's decisions, stored write-once beside them


@dataclass(frozen=True)
class MoneyMove:
    case_id: str
    order_id: str
    business_key: str  # e.g. case-<id>:refund:1 — never a run id
    kind: str  # models.ledger.LedgerKind value
    amount_cents: int  # what the decision asks
    may_cap: bool = True  # a refund of "what was asked" may be smaller; a named partial amount may not
    # A coupon's cap for its case (the case's `Thresholds.coupon_max_cents`); None: the worker's AFTERSALES_COUPON_MAX
    coupon_max_cents: int | None = None


class MoneyOutcome:
    """How a money move ended (`MoneyReceipt.status`)."""

    PAID = "paid"  # all of it
    CAPPED = "capped"  # less than asked: the order's ledger had no more
    REFUSED = "refused"  # nothing: the ledger had nothing left for it
    FAILED = "failed"  # nothing: the payment provider refused it for good


@dataclass(frozen=True)
class MoneyReceipt:
    business_key: str
    external_ref: str
    amount_cents: int  # what moved
    status: str = MoneyOutcome.PAID
    asked_cents: int = 0
    refunded_before_cents: int = 0  # refunds of the order (all cases, in flight too) before this move
    left_before_cents: int = 0  # what this move could still take
    note: str = ""

    @property
    def complete(self) -> bool:
        return self.status == MoneyOutcome.PAID


@dataclass(frozen=True)
class ChainAnchor:
    """The timeline as the case's workflow recorded it: the hash of each event, in order. `complete` is false for
    a case whose earlier steps were stored before the workflow kept them (it anchors only its later events)."""

    hashes: tuple[str, ...]
    complete: bool
