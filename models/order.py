"""Orders pushed by the integration, with the listing snapshot taken at purchase, and their shipments.

A shipment is the order's own (`outbound`, pushed by the integration) or a case's parcel (a buyer's `return`, an
exchange's `replacement`, stored by the case workflow with its `case_id`); tracking events find either by number.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import EnumText, UTCDateTime, utcnow
from rulebook.enums import ShipmentDirection, TrackingStatus


class Order(SQLModel, table=True):
    __tablename__ = "orders"

    order_id: str = Field(primary_key=True, max_length=64)
    buyer_id: str = Field(index=True, max_length=64)
    shop_id: str = Field(index=True, max_length=64)
    total_cents: int
    paid_at: datetime = Field(sa_type=UTCDateTime)
    ship_by: datetime = Field(sa_type=UTCDateTime)
    items: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    shipping_address: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # Bumped by every money move's claim: the write that serialises the order's moves (models/order_ledger.py).
    ledger_seq: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Shipment(SQLModel, table=True):
    __tablename__ = "shipments"
    __table_args__ = (UniqueConstraint("carrier", "tracking_no"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: str = Field(foreign_key="orders.order_id", index=True, max_length=64)
    carrier: str = Field(max_length=64)
    tracking_no: str = Field(index=True, max_length=64)
    warehouse_id: str | None = Field(default=None, max_length=64)
    direction: ShipmentDirection = Field(
        default=ShipmentDirection.OUTBOUND,
        sa_type=EnumText(ShipmentDirection),
        sa_column_kwargs={"server_default": ShipmentDirection.OUTBOUND.value},
    )
    case_id: str | None = Field(default=None, foreign_key="cases.case_id", index=True, max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TrackingEventRow(SQLModel, table=True):
    __tablename__ = "tracking_events"
    __table_args__ = (UniqueConstraint("tracking_no", "status", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    tracking_no: str = Field(index=True, max_length=64)
    status: TrackingStatus = Field(sa_type=EnumText(TrackingStatus))
    location: str = Field(default="", max_length=200)
    at: datetime = Field(sa_type=UTCDateTime)
    proof_kind: str | None = Field(default=None, max_length=32)
    proof_ref: str | None = Field(default=None, max_length=200)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
