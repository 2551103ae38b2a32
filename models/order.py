"""Orders pushed by the integration, with the listing snapshot taken at purchase, and their shipments.

A shipment is the order's own (`outbound`, pushed by the integration) or a case's parcel (a buyer's `return`, an
exchange's `replacement`, stored by the case workflow with its `case_id`); tracking events find either by number.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import EnumText, UTCDateTime, utcnow
from rulebook.enums import ShipmentDirection, TrackingStatus


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    # The missed-shipment scan pages through the orders still waiting for their shipment, by ship-by.
    __table_args__ = (Index("ix_orders_missed_scan", "shipment_pending", "ship_by", "order_id"),)

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
    # True until the order's outbound shipment is posted or its missed shipment has its case (the scan's filter).
    shipment_pending: bool = Field(default=True, sa_column_kwargs={"server_default": "1"})
    # Oversold: held (not shipped, not cancelled) while its warehouse cannot cover it; a shipment posted meanwhile is
    # 409. `locked_sku`: the line its warehouse could not cover. The lock lifts by a restock that covers it, by the
    # merchant's remedy, or when its case closes (models/order_locks.py); `unlocked_by` says which.
    locked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    locked_sku: str | None = Field(default=None, max_length=64)
    unlocked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    unlocked_by: str | None = Field(default=None, max_length=32)  # restock | remedy | case_closed
    # Cancelled before shipping: its oversold case closed with the order refunded in full. Never ships.
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Shipment(SQLModel, table=True):
    __tablename__ = "shipments"
    __table_args__ = (
        UniqueConstraint("carrier", "tracking_no"),
        # The stall scan pages through unfinished outbound parcels by their last event (models/tracking.py).
        Index("ix_shipments_stall_scan", "direction", "tracking_final", "last_event_at", "id"),
    )

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
    # What the tracking feed last said, kept by models/tracking.py so the stall scan filters in SQL.
    last_event_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    tracking_final: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    stall_handled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the stall that had its case
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
