"""Facts for the rule book's tests: one sensible case, changed per test by keyword."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rulebook.enums import CaseKind, Claim, EvidenceKind, Party, ReasonCode, ShipmentState, TrackingStatus
from rulebook.facts import CaseFacts, EvidenceOnFile, Statement, TrackingEvent

SHANGHAI = ZoneInfo("Asia/Shanghai")
DELIVERED_AT = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)  # 10:00 on 1 May in Shanghai
NOW = DELIVERED_AT + timedelta(days=2)


def facts(**changes: Any) -> CaseFacts:
    """A delivered refund_only case of ¥59 paid, ¥59 asked, no evidence; `changes` override any field."""
    base: dict[str, Any] = {
        "kind": CaseKind.REFUND_ONLY,
        "reason": ReasonCode.OTHER,
        "amount_cents": 5900,
        "paid_cents": 5900,
        "refunded_cents": 0,
        "shipment": ShipmentState.DELIVERED,
        "now": NOW,
        "delivered_at": DELIVERED_AT,
    }
    return CaseFacts(**(base | changes))


def photo(evidence_id: str = "ev-buyer-photo", by: Party = Party.BUYER, note: str = "") -> EvidenceOnFile:
    return EvidenceOnFile(evidence_id, EvidenceKind.PHOTO, by, note)


def courier_record(evidence_id: str = "ev-courier") -> EvidenceOnFile:
    return EvidenceOnFile(evidence_id, EvidenceKind.COURIER_RECORD, Party.MERCHANT)


def merchant_says(*claims: Claim, text: str = "") -> tuple[Statement, ...]:
    return tuple(Statement(Party.MERCHANT, claim, text) for claim in claims)


def delivered(at: datetime = DELIVERED_AT, proof: str | None = None) -> TrackingEvent:
    return TrackingEvent(TrackingStatus.DELIVERED, at, "locker", "photo" if proof else None, proof)


def in_transit(at: datetime) -> TrackingEvent:
    return TrackingEvent(TrackingStatus.IN_TRANSIT, at, "hub")


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)
