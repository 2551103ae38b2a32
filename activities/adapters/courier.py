"""The courier's service: intercepting a parcel, urging a stalled one, its delivery record. Interface and fake."""

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from activities.adapters.remedy_errors import RemedyRefused


class InterceptOutcome(StrEnum):
    ACCEPTED = "accepted"  # the parcel turns back to the sender
    REFUSED = "refused"  # the courier will not intercept it
    TOO_LATE = "too_late"  # out for delivery or delivered already


@dataclass(frozen=True)
class Interception:
    reference: str
    outcome: InterceptOutcome


@dataclass(frozen=True)
class DeliveryRecord:
    """The courier's proof of delivery: a photo's reference, or None when it has none."""

    reference: str
    photo_ref: str | None


class Courier(Protocol):
    async def intercept(self, *, idempotency_key: str, carrier: str, tracking_no: str) -> Interception: ...

    async def urge(self, *, idempotency_key: str, carrier: str, tracking_no: str) -> str:
        """Opens an urge ticket for a stalled parcel; the ticket's reference."""
        ...

    async def delivery_record(self, *, idempotency_key: str, carrier: str, tracking_no: str) -> DeliveryRecord: ...


class FakeCourier:
    """Stands in for the courier: accepts interceptions unless told otherwise for a tracking number
    (`intercept_outcomes`), has a delivery photo for numbers in `photos`, refuses keys in `refuse` for good, and
    counts real calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.refuse: set[str] = set()
        self.intercept_outcomes: dict[str, InterceptOutcome] = {}
        self.photos: set[str] = set()

    async def intercept(self, *, idempotency_key: str, carrier: str, tracking_no: str) -> Interception:
        outcome = self.intercept_outcomes.get(tracking_no, InterceptOutcome.ACCEPTED)
        return Interception(self._reference("IC", idempotency_key), outcome)

    async def urge(self, *, idempotency_key: str, carrier: str, tracking_no: str) -> str:
        return self._reference("UR", idempotency_key)

    async def delivery_record(self, *, idempotency_key: str, carrier: str, tracking_no: str) -> DeliveryRecord:
        reference = self._reference("DR", idempotency_key)
        return DeliveryRecord(reference, f"photo-{tracking_no}" if tracking_no in self.photos else None)

    def _reference(self, prefix: str, key: str) -> str:
        self.calls.append(key)
        if key in self.refuse:
            raise RemedyRefused(f"the courier refused {key}")
        return f"{prefix}-{uuid.uuid5(uuid.NAMESPACE_URL, key).hex[:16]}"
