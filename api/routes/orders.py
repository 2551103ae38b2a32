"""Orders and shipments pushed by the integration (role `system`); orders readable by whoever they belong to."""

from fastapi import APIRouter
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api import links, oversold
from api.deps import CallerDep, SessionDep, SettingsDep, SystemDep, TemporalDep
from api.errors import Conflict, NotFound, documented
from api.idempotency import IDEMPOTENT, IdempotentRoute
from api.minimise import masked_phone
from api.schemas.orders import (
    LedgerCheck,
    LedgerFindingPublic,
    MoneyMovePublic,
    OrderCreate,
    OrderPublic,
    ShipmentCreate,
    ShipmentPublic,
)
from api.scoping import visible_orders
from api.text import shown
from models import ledger_audit, order_ledger, order_locks
from models.case import Case
from models.ledger import NOT_AGAINST_PAID, LedgerEntry, LedgerStatus
from models.order import Order, Shipment
from models.order_line import order_lines
from models.timeline import CaseEvent
from models.types import utcnow
from rulebook.enums import Role, ShipmentDirection

router = APIRouter(prefix="/orders", tags=["integration"], route_class=IdempotentRoute)


@router.post("", status_code=201, dependencies=IDEMPOTENT, responses=documented(413) | links.ORDER_POSTED)
async def create_order(
    body: OrderCreate, _caller: SystemDep, session: SessionDep, client: TemporalDep, settings: SettingsDep
) -> OrderPublic:
    """Stores a paid order with the listing snapshot of each item, kept as evidence for every later case; an
    order its SKU's stock cannot serve is locked and gets an `oversold` case at once."""
    order = Order.model_validate(body.model_dump(mode="json", exclude={"paid_at", "ship_by"}), update=_times(body))
    session.add(order)
    session.add_all(order_lines(order))
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict(f"order {body.order_id} exists", code="order_exists") from None
    await oversold.check(session, client, settings, [item.sku for item in body.items])
    await session.refresh(order)
    return await _public(session, order)


@router.post(
    "/{order_id}/shipments",
    status_code=201,
    dependencies=IDEMPOTENT,
    responses=documented(413) | links.SHIPMENT_ADDED,
)
async def add_shipment(order_id: str, body: ShipmentCreate, _caller: SystemDep, session: SessionDep) -> ShipmentPublic:
    order = await session.get(Order, order_id)
    if order is None:
        raise NotFound(f"no order {shown(order_id)}")
    await _shippable(session, order)
    shipment = Shipment.model_validate(body, update={"order_id": order_id})
    session.add(shipment)
    order.shipment_pending = False  # shipments posted here are the order's own (outbound)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict(f"shipment {body.carrier} {body.tracking_no} exists", code="shipment_exists") from None
    return ShipmentPublic.model_validate(shipment, from_attributes=True)


@router.get("/{order_id}")
async def get_order(order_id: str, caller: CallerDep, session: SessionDep) -> OrderPublic:
    order = (await session.exec(visible_orders(select(Order), caller).where(Order.order_id == order_id))).first()
    if order is None:
        raise NotFound(f"no order {shown(order_id)}")
    public = await _public(session, order)
    if caller.role == Role.MERCHANT:  # the shop ships the order to the address, but never needs the buyer's number
        address = {**public.shipping_address, "phone": masked_phone(str(public.shipping_address.get("phone", "")))}
        public = public.model_copy(update={"shipping_address": address})
    return public


@router.get("/{order_id}/verify", response_model_exclude_none=True)
async def verify_ledger(order_id: str, caller: CallerDep, session: SessionDep) -> LedgerCheck:
    """Checks the order's ledger against the money events on its cases' timelines: every succeeded move has its
    event (same business key, same amount), every money event its succeeded move, and nothing is refunded past what
    the order paid (`models/ledger_audit.py`)."""
    order = (await session.exec(visible_orders(select(Order), caller).where(Order.order_id == order_id))).first()
    if order is None:
        raise NotFound(f"no order {shown(order_id)}")
    rows = await order_ledger.entries(session, order.order_id)
    cases = select(Case.case_id).where(Case.order_id == order.order_id)
    money_events = select(CaseEvent).where(
        col(CaseEvent.case_id).in_(cases), col(CaseEvent.type).in_(ledger_audit.MONEY_EVENTS)
    )
    events = list((await session.exec(money_events.order_by(col(CaseEvent.case_id), col(CaseEvent.seq)))).all())
    findings = ledger_audit.check(order.total_cents, rows, events, utcnow())
    return LedgerCheck(
        valid=not findings,
        moves=len(rows),
        events=len(events),
        findings=[LedgerFindingPublic.model_validate(f, from_attributes=True) for f in findings],
    )


async def _shippable(session: AsyncSession, order: Order) -> None:
    """Refuses the order's own parcel while it is locked as oversold, once it is cancelled, and once an oversold
    case's emergency transfer shipped it (an order ships once)."""
    shown_id = shown(order.order_id)
    if order.cancelled_at is not None:
        raise Conflict(f"order {shown_id} is cancelled: refunded in full before shipping", code="order_cancelled")
    if order.locked_at is not None:
        raise Conflict(f"order {shown_id} is locked: oversold, awaiting its stock or remedy", code="order_locked")
    parcel = await order_locks.transfer_parcel(session, order.order_id)
    if parcel is not None:
        message = f"order {shown_id} shipped by its emergency transfer ({parcel.carrier} {parcel.tracking_no})"
        raise Conflict(message, code="order_shipped")


def _times(body: OrderCreate) -> dict[str, object]:
    return {"paid_at": body.paid_at, "ship_by": body.ship_by}


async def _public(session: AsyncSession, order: Order) -> OrderPublic:
    outbound = (Shipment.order_id == order.order_id, Shipment.direction == ShipmentDirection.OUTBOUND)
    rows = await session.exec(select(Shipment).where(*outbound).order_by(col(Shipment.id)))
    shipments = [ShipmentPublic.model_validate(s, from_attributes=True) for s in rows.all()]
    moves = await order_ledger.entries(session, order.order_id)
    allowed = order_ledger.allowance(order, moves, None)
    return OrderPublic.model_validate(
        {
            **order.model_dump(),
            "shipments": shipments,
            "paid_cents": allowed.paid_cents,
            "refunded_cents": allowed.committed_cents,
            "refundable_cents": allowed.left_cents,
            "coupons_cents": order_ledger.total(moves, NOT_AGAINST_PAID, frozenset({LedgerStatus.SUCCEEDED})),
            "money_moves": [_move(m) for m in moves],
        }
    )


def _move(entry: LedgerEntry) -> MoneyMovePublic:
    return MoneyMovePublic(
        case_id=entry.case_id,
        kind=entry.kind,
        amount_cents=entry.amount_cents,
        asked_cents=entry.asked_cents,
        reference=entry.external_ref,
        status=entry.status,
        note=entry.note,
        at=entry.completed_at or entry.created_at,
    )
