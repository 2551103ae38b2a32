"""What an agent or the merchant sees of a case's facts, and the resolution menu."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from api.schemas.evidence import EvidencePublic
from rulebook.enums import CaseKind, CaseStatus, ExceptionKind, Outcome, Resolution, ShipmentState, TrackingStatus


class ShipmentFacts(BaseModel):
    carrier: str
    tracking_no: str
    warehouse_id: str | None


class OrderFacts(BaseModel):
    order_id: str
    buyer_id: str
    shop_id: str
    total_cents: int
    paid_at: datetime
    ship_by: datetime
    items: list[dict[str, Any]]  # each with its `listing` snapshot as it stood at purchase
    shipping_address: dict[str, Any]
    shipments: list[ShipmentFacts]


class TrackingEventPublic(BaseModel):
    status: TrackingStatus
    at: datetime
    location: str
    proof_kind: str | None
    proof_ref: str | None
    stalled: bool  # nothing moved after this event for at least T-STALL


class BuyerMessage(BaseModel):
    seq: int
    at: datetime
    text: str


class Recommendation(BaseModel):
    """What the rule book says about the facts as they stand (`rulebook.decide.recommend`)."""

    outcome: Outcome
    amount_cents: int
    rules: list[str]
    rationale_zh: str
    rationale_en: str
    findings: list[str]
    evidence_ids: list[str]
    urgent: bool


class CaseFactsPublic(BaseModel):
    case_id: str
    kind: CaseKind
    status: CaseStatus
    reason: str
    description: str
    amount_cents: int
    paid_cents: int
    refunded_cents: int
    shipment: ShipmentState
    delivered_at: datetime | None
    listing_policy: dict[str, Any]  # the strictest after-sales policy across the items, as the rules read it
    order: OrderFacts
    tracking: list[TrackingEventPublic]  # oldest first
    buyer_messages: list[BuyerMessage]
    evidence: list[EvidencePublic]
    recommendation: Recommendation


class ResolutionOption(BaseModel):
    resolution: Resolution
    success_rate: float | None  # null: never chosen for this kind of case yet
    sample_size: int


class ResolutionMenu(BaseModel):
    case_id: str
    exception_kind: ExceptionKind | None  # null: not an order exception, so there is no menu
    urgent: bool
    items: list[ResolutionOption]  # best first
