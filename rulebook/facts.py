"""The facts a decision is made on: frozen, plain values, built by an activity from the database."""

from dataclasses import dataclass, field
from datetime import datetime

from rulebook.enums import CaseKind, EvidenceKind, Party, ReasonCode, ShipmentState, TrackingStatus
from rulebook.timers import Timers


@dataclass(frozen=True)
class ListingPolicy:
    """The listing's after-sales policy as it stood when the order was placed (api.md `after_sales_policy`)."""

    seven_day_return: bool = True
    returnable_with_tags_only: bool = False
    washable: bool = True
    perishable: bool = False
    custom_made: bool = False
    category: str = ""
    description: str = ""


@dataclass(frozen=True)
class TrackingEvent:
    status: TrackingStatus
    at: datetime
    location: str = ""
    proof_kind: str | None = None  # e.g. "photo" for a courier's delivery photo
    proof_ref: str | None = None


@dataclass(frozen=True)
class EvidenceOnFile:
    evidence_id: str
    kind: EvidenceKind
    uploaded_by: Party
    note: str = ""


@dataclass(frozen=True)
class Statement:
    """Who said what: a claim a party made in the case (e.g. the merchant says the goods were worn)."""

    by: Party
    claim: str
    text: str = ""


@dataclass(frozen=True)
class CaseFacts:
    kind: CaseKind
    reason: ReasonCode
    amount_cents: int  # what the buyer asks
    paid_cents: int  # what the buyer paid for the order
    refunded_cents: int  # already refunded on this order by earlier cases
    shipment: ShipmentState
    now: datetime
    timers: Timers = field(default_factory=Timers)
    policy: ListingPolicy = field(default_factory=ListingPolicy)
    delivered_at: datetime | None = None
    tracking: tuple[TrackingEvent, ...] = ()
    evidence: tuple[EvidenceOnFile, ...] = ()
    statements: tuple[Statement, ...] = ()
    description: str = ""
    urgent: bool = False
