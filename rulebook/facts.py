"""The facts a decision is made on: frozen, plain values, built by an activity from the database.

Conventions the rules rely on:
- money is integer fen; `amount_cents` is what the buyer asks, never more than is refunded;
- every `datetime` is timezone-aware;
- evidence is what is on file with who uploaded it (`EvidenceOnFile`); a courier's delivery photo arrives either
  as `proof_kind == "photo"` on the `delivered` tracking event or as a `courier_record` uploaded by the
  merchant or the system;
- what a party said is a `Statement` whose `claim` is a `rulebook.enums.Claim` value.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rulebook.enums import CaseKind, EvidenceKind, Party, ReasonCode, ShipmentState, TrackingStatus
from rulebook.oversell import TransferOption
from rulebook.settlement import COUPON_MAX_CENTS
from rulebook.timers import Timers


@dataclass(frozen=True)
class Thresholds:
    """Money settings of the rules, fixed when the case opens like the timers."""

    small_claim_threshold_cents: int = 2000  # R-SMALL: at most this much is granted at once
    stall_coupon_cents: int = 500  # R-STALL: the buyer's no-threshold coupon (¥5)
    wash_partial_refund_percent: int = 30  # R-WASH: the partial refund offered when the listing said "do not wash"
    # AFTERSALES_COUPON_MAX: one case's goodwill coupons together, at most (rulebook/settlement.py; the order's coupons
    # are capped at what it paid). The override refuses more up front; the ledger's claim caps or refuses the rest.
    coupon_max_cents: int = COUPON_MAX_CENTS


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
class DeliveryRecord:
    """The courier's delivery record, fetched when a `not_received` case opened: a photo proof reference or none."""

    reference: str
    photo_ref: str | None = None


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
    thresholds: Thresholds = field(default_factory=Thresholds)
    shipping_insurance: bool = False  # 运费险: the return shipping is covered
    # When the buyer asked (the case opened). The law's limits are judged then, so no wait of the merchant's, no
    # paused day and no extension can run them out against the buyer; None: judged `now`.
    asked_at: datetime | None = None
    # oversold: the nearest warehouse holding the order's quantity (rulebook/oversell.py); None: none has it
    transfer_from: TransferOption | None = None
    # The listing snapshot of the items the case names (every item when it names none): {sku, title, listing}.
    listing_snapshot: tuple[Mapping[str, Any], ...] = ()
    # not_received: the courier's delivery record on the timeline (`courier_delivery_record`); None: not fetched
    delivery_record: DeliveryRecord | None = None
    # the shop's default return address (PUT /shops/{id}/settings): where a return granted without one is sent
    shop_return_address: str | None = None
