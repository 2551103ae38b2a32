"""Cases: open (buyer), list and read (scoped), act (by action). Reads come from the database projection."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from api import cursor
from api.auth import Caller
from api.case_workflow import send_action, start_case, workflow_id
from api.deps import BuyerDep, CallerDep, SessionDep, SettingsDep, TemporalDep, VisibleCaseDep
from api.errors import Conflict, Forbidden, NotFound, Unprocessable, documented
from api.idempotency import IDEMPOTENT, IdempotentRoute
from api.schemas.action_examples import ACTION_EXAMPLES
from api.schemas.actions import ActionBody, to_request
from api.schemas.cases import CaseCreate, CasePage, CasePublic
from api.scoping import visible_cases, visible_orders
from models.case import Case, open_key
from models.order import Order, Shipment
from rulebook import transitions
from rulebook.enums import CaseKind, CaseStatus, Party

router = APIRouter(prefix="/cases", tags=["cases"], route_class=IdempotentRoute)


@router.post("", status_code=201, dependencies=IDEMPOTENT, responses=documented(413, 503))
async def open_case(
    body: CaseCreate, caller: BuyerDep, session: SessionDep, client: TemporalDep, settings: SettingsDep
) -> CasePublic:
    """Opens an after-sales case on one of the caller's orders and starts its workflow."""
    order = await _own_order(session, caller, body.order_id)
    _check_request(body, order)
    case = await _insert(session, body, order)
    try:
        await start_case(client, case, settings)
    except Exception:
        await session.delete(case)  # never started: free the order for a new request
        await session.commit()
        raise
    await session.refresh(case)
    return CasePublic.of(case)


@router.get("")
async def list_cases(
    caller: CallerDep,
    session: SessionDep,
    status: CaseStatus | None = None,
    kind: CaseKind | None = None,
    order_id: str | None = None,
    awaiting: Party | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor_: Annotated[str | None, Query(alias="cursor", max_length=500)] = None,
) -> CasePage:
    """The caller's cases, soonest deadline first."""
    statement = visible_cases(select(Case), caller)
    for column, value in (
        (Case.status, status),
        (Case.kind, kind),
        (Case.order_id, order_id),
        (Case.awaiting, awaiting),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if cursor_:
        statement = cursor.after(statement, cursor_)
    rows = list((await session.exec(cursor.ordered(statement).limit(limit + 1))).all())
    page = rows[:limit]
    next_cursor = cursor.encode(page[-1]) if len(rows) > limit else None
    return CasePage(items=[CasePublic.of(c) for c in page], next_cursor=next_cursor)


@router.get("/{case_id}")
async def get_case(case: VisibleCaseDep) -> CasePublic:
    return CasePublic.of(case)


@router.post("/{case_id}/actions", dependencies=IDEMPOTENT, responses=documented(413, 503))
async def act(
    case: VisibleCaseDep,
    action: Annotated[ActionBody, Body(openapi_examples=ACTION_EXAMPLES)],
    caller: CallerDep,
    session: SessionDep,
    client: TemporalDep,
) -> CasePublic:
    """One command of the action table in docs/api.md; 409 `invalid_state` when the case's state does not allow it."""
    request = to_request(action, caller)
    if not transitions.role_may(case.kind, request.action, caller.role):
        raise Forbidden(f"a {caller.role} cannot {request.action}")
    if request.tracking_no is not None:
        await _check_new_parcel(session, request.tracking_no)
    await send_action(client, case, request)
    await session.refresh(case)
    return CasePublic.of(case)


async def _own_order(session: AsyncSession, caller: Caller, order_id: str) -> Order:
    order = (await session.exec(visible_orders(select(Order), caller).where(Order.order_id == order_id))).first()
    if order is None:
        raise NotFound(f"no order {order_id}")
    return order


async def _check_new_parcel(session: AsyncSession, tracking_no: str) -> None:
    """A return or replacement parcel needs a number of its own: the logistics feed's events find it by number."""
    known = select(Shipment.id).where(Shipment.tracking_no == tracking_no).limit(1)
    if (await session.exec(known)).first() is not None:
        raise Conflict(f"tracking number {tracking_no} belongs to another shipment", code="shipment_exists")


def _check_request(body: CaseCreate, order: Order) -> None:
    if not _openable(body.kind):
        supported = [k.value for k in CaseKind if _openable(k)]
        raise Unprocessable(
            f"cases of kind {body.kind} cannot be opened yet", code="unsupported_kind", supported=supported
        )
    if body.amount_cents is not None and body.amount_cents > order.total_cents:
        raise Unprocessable(
            f"amount_cents must be 1..{order.total_cents} (the order total)",
            code="invalid_amount",
            max=order.total_cents,
        )
    skus = {str(item.get("sku")) for item in order.items}
    unknown = sorted({item.sku for item in body.items or []} - skus)
    if unknown:
        raise Unprocessable(f"not in order {order.order_id}: {', '.join(unknown)}", code="unknown_items", skus=unknown)


def _openable(kind: CaseKind) -> bool:
    """A buyer opens after-sales requests; exceptions are opened by the system."""
    return kind in transitions.AFTER_SALES and transitions.supported(kind)


async def _insert(session: AsyncSession, body: CaseCreate, order: Order) -> Case:
    case_id, key = uuid.uuid4().hex[:16], open_key(order.order_id, body.kind)
    case = Case(
        case_id=case_id,
        kind=body.kind,
        status=CaseStatus.AWAITING_MERCHANT,
        order_id=order.order_id,
        buyer_id=order.buyer_id,
        shop_id=order.shop_id,
        amount_cents=body.amount_cents or order.total_cents,
        reason=body.reason,
        description=body.description,
        urgent=body.urgent,
        awaiting=Party.MERCHANT,
        open_key=key,
        workflow_id=workflow_id(case_id),
    )
    session.add(case)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()  # expires every loaded row: use only plain values from here
        raise await _case_exists(session, key) from None
    return case


async def _case_exists(session: AsyncSession, key: str) -> Conflict:
    existing = (await session.exec(select(Case.case_id).where(Case.open_key == key))).first()
    message = "an open case for this order and kind exists"
    return Conflict(message, code="case_exists", case_id=existing)
