"""Rows for tests: an order (with its listing snapshot), its shipment and tracking, and an opened case."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from models import tracking
from models.case import Case, open_key
from models.db import transaction
from models.order import Order, Shipment, TrackingEventRow
from rulebook.enums import CaseKind, CaseStatus, ReasonCode, TrackingStatus
from rulebook.timers import Timers
from workflows.messages import CaseInput


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def listing(**policy: bool) -> dict[str, Any]:
    return {"after_sales_policy": {"seven_day_return": True, **policy}, "description": "纯棉T恤"}


async def add_order(
    sessions: async_sessionmaker[AsyncSession],
    *,
    total_cents: int = 9900,
    shipped: bool = True,
    delivered: bool = True,
    delivered_at: datetime | None = None,
) -> Order:
    """`delivered_at`: when tracking said delivered (a day ago unless given)."""
    now = datetime.now(UTC)
    order = Order(
        order_id=new_id("order"),
        buyer_id=new_id("buyer"),
        shop_id=new_id("shop"),
        total_cents=total_cents,
        paid_at=now - timedelta(days=3),
        ship_by=now - timedelta(days=2),
        items=[
            {"sku": "tee-1", "title": "T-shirt", "quantity": 1, "unit_price_cents": total_cents, "listing": listing()}
        ],
        shipping_address={"name": "张三", "city": "上海"},
        shipment_pending=not shipped,
    )
    async with transaction(sessions) as session:
        session.add(order)
        if shipped:
            tracking_no = new_id("SF")
            session.add(Shipment(order_id=order.order_id, carrier="SF", tracking_no=tracking_no))
            if delivered:
                session.add(
                    TrackingEventRow(
                        tracking_no=tracking_no,
                        status=TrackingStatus.DELIVERED,
                        at=delivered_at or now - timedelta(days=1),
                    )
                )
                await session.flush()
                await tracking.refresh(session, tracking_no)
    return order


async def add_case(
    sessions: async_sessionmaker[AsyncSession],
    order: Order,
    *,
    amount_cents: int | None = None,
    reason: ReasonCode = ReasonCode.OTHER,
    timers: Timers | None = None,
    kind: CaseKind = CaseKind.REFUND_ONLY,
    held_open: bool = True,
) -> CaseInput:
    """`held_open=False` leaves the one-open-case-per-order-and-kind key free: another case of the same order and
    kind, as when two kinds of request each claim the whole order."""
    case_id = uuid.uuid4().hex[:16]
    amount = order.total_cents if amount_cents is None else amount_cents
    async with transaction(sessions) as session:
        session.add(
            Case(
                case_id=case_id,
                kind=kind,
                status=CaseStatus.AWAITING_MERCHANT,
                order_id=order.order_id,
                buyer_id=order.buyer_id,
                shop_id=order.shop_id,
                amount_cents=amount,
                reason=reason,
                open_key=open_key(order.order_id, kind) if held_open else None,
                workflow_id=f"case-{case_id}",
            )
        )
    return CaseInput(
        case_id=case_id,
        kind=kind,
        order_id=order.order_id,
        buyer_id=order.buyer_id,
        shop_id=order.shop_id,
        amount_cents=amount,
        reason=reason,
        urgent=False,
        timers=timers or Timers(),
    )
