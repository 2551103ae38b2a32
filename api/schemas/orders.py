"""Orders, shipments and tracking events pushed by the integration (role `system`)."""

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from api.text import refuse_nul
from rulebook.enums import TrackingStatus

MAX_CENTS = 2**31 - 1  # the money columns are 32-bit integers (PostgreSQL INTEGER)

Id = Annotated[str, Field(min_length=1, max_length=64)]
# Amounts and counts are JSON integers: never `true` taken as 1 or `"100"` as 100.
Cents = Annotated[int, Field(strict=True, ge=1, le=MAX_CENTS)]
Price = Annotated[int, Field(strict=True, ge=0, le=MAX_CENTS)]
Quantity = Annotated[int, Field(strict=True, ge=1, le=10_000)]
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _date_time_text(value: Any) -> Any:
    """A time is an RFC 3339 string, as documented: not a number read as Unix seconds (`0.5`, `1700000000`)."""
    if isinstance(value, int | float) or (isinstance(value, str) and not _DATE_TIME.match(value)):
        raise ValueError("must be an RFC 3339 date-time with its offset, e.g. 2026-11-30T10:00:00+08:00")
    return value


Instant = Annotated[AwareDatetime, BeforeValidator(_date_time_text)]


class Strict(BaseModel):
    """Request bodies: unknown fields refused (no mass assignment), no NUL characters anywhere."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        return refuse_nul(data)


class AfterSalesPolicy(Strict):
    seven_day_return: bool = True
    returnable_with_tags_only: bool = False
    washable: bool = True
    perishable: bool = False
    custom_made: bool = False


class Listing(Strict):
    """The listing as the buyer saw it at purchase: kept as evidence for every later case."""

    after_sales_policy: AfterSalesPolicy = AfterSalesPolicy()
    description: str = Field(default="", max_length=5000)


class OrderItem(Strict):
    sku: Id
    title: str = Field(max_length=200)
    quantity: Quantity
    unit_price_cents: Price
    spec: str | dict[str, str] = ""
    category: str = Field(default="", max_length=64)
    listing: Listing = Listing()


class Address(Strict):
    name: str = Field(max_length=100)
    phone: str = Field(max_length=32)
    province: str = Field(max_length=64)
    city: str = Field(max_length=64)
    district: str = Field(default="", max_length=64)
    street: str = Field(max_length=200)
    unit: str = Field(default="", max_length=100)
    lat: float | None = Field(default=None, ge=-90, le=90)  # lets oversold find the nearest warehouse by distance
    lng: float | None = Field(default=None, ge=-180, le=180)


class OrderCreate(Strict):
    order_id: Id
    buyer_id: Id
    shop_id: Id
    items: list[OrderItem] = Field(min_length=1, max_length=200)
    total_cents: Cents
    paid_at: Instant
    ship_by: Instant
    shipping_address: Address

    @model_validator(mode="after")
    def _lines_add_up(self) -> "OrderCreate":
        lines = sum(item.unit_price_cents * item.quantity for item in self.items)
        if lines != self.total_cents:
            raise ValueError(f"the items add up to {lines} fen, not total_cents {self.total_cents}")
        return self


class ShipmentCreate(Strict):
    carrier: Id
    tracking_no: Id
    warehouse_id: str | None = Field(default=None, max_length=64)


class ShipmentPublic(BaseModel):
    carrier: str
    tracking_no: str
    warehouse_id: str | None
    order_id: str
    created_at: datetime


class MoneyMovePublic(BaseModel):
    """One move on the order's ledger: `status` pending (in flight: counts as spent), succeeded, refused (the ledger
    had nothing left for it) or failed (the provider refused it for good)."""

    case_id: str
    kind: str
    amount_cents: int
    asked_cents: int
    reference: str | None
    status: str
    note: str
    at: datetime


class OrderPublic(BaseModel):
    order_id: str
    buyer_id: str
    shop_id: str
    items: list[dict[str, Any]]
    total_cents: int
    paid_at: datetime
    ship_by: datetime
    shipping_address: dict[str, Any]
    created_at: datetime
    locked_at: datetime | None = Field(default=None, description="oversold: held until its stock or remedy")
    locked_sku: str | None = Field(default=None, description="oversold: the line its warehouse could not cover")
    unlocked_at: datetime | None = Field(default=None, description="when its oversold lock lifted")
    unlocked_by: str | None = Field(default=None, description="what lifted it: restock | remedy | case_closed")
    cancelled_at: datetime | None = Field(default=None, description="cancelled before shipping: refunded in full")
    shipments: list[ShipmentPublic] = []
    paid_cents: int = Field(description="what the buyer paid (the order total)")
    refunded_cents: int = Field(description="refunds of every case of the order: succeeded and in flight")
    refundable_cents: int = Field(description="what is left to refund across every case of the order")
    coupons_cents: int = Field(description="coupons and compensation issued (not counted against paid_cents)")
    money_moves: list[MoneyMovePublic] = []


class Proof(Strict):
    kind: str = Field(min_length=1, max_length=32)
    ref: str = Field(min_length=1, max_length=200)


class TrackingEventIn(Strict):
    tracking_no: Id
    status: TrackingStatus
    location: str = Field(default="", max_length=200)
    at: Instant
    proof: Proof | None = None


class TrackingAccepted(BaseModel):
    accepted: bool = True
    duplicate: bool


class OrderDraft(Strict):
    """An order before it is confirmed, as `POST /orders` takes it; only the buyer, items and address are needed."""

    buyer_id: Id
    items: list[OrderItem] = Field(min_length=1, max_length=200)
    shipping_address: Address
    order_id: Id | None = None
    shop_id: Id | None = None
    total_cents: int | None = Field(default=None, ge=1, le=MAX_CENTS)
    paid_at: Instant | None = None
    ship_by: Instant | None = None


class EntryWarningPublic(BaseModel):
    field: str
    message: str
    suggestion: str


class EntryCheck(BaseModel):
    warnings: list[EntryWarningPublic]


class LedgerFindingPublic(BaseModel):
    """One disagreement between the order's ledger and its cases' timelines (`problem`: `move_without_event`,
    `event_without_move`, `event_of_unsettled_move`, `event_of_another_move`, `amount_differs`,
    `refunded_past_paid`)."""

    problem: str
    message: str
    business_key: str | None = None
    case_id: str | None = None
    amount_cents: int | None = None
    event_amount_cents: int | None = None
    event_seq: int | None = None


class LedgerCheck(BaseModel):
    """`GET /orders/{order_id}/verify`: valid when the ledger and the money events of the order's cases agree."""

    valid: bool
    moves: int
    events: int
    findings: list[LedgerFindingPublic]
