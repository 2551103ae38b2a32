"""Cases: open (buyer), list and read (scoped), act (by action). Reads come from the database projection."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.common import WorkflowIDConflictPolicy

from api import buyer_caps, cursor, links
from api.auth import Caller
from api.case_workflow import send_action, start_case, workflow_id
from api.deps import (
    BuyerDep,
    CallerDep,
    SessionDep,
    SettingsDep,
    TemporalDep,
    VisibleCaseDep,
    release_connection,
)
from api.errors import Conflict, Forbidden, NotFound, Unprocessable, documented
from api.idempotency import IDEMPOTENT, IdempotentRoute, KeyUse, key_use
from api.return_address import with_return_address
from api.schemas.action_examples import ACTION_EXAMPLES
from api.schemas.actions import ActionBody, to_request
from api.schemas.cases import CaseCreate, CasePage, CasePublic
from api.scoping import visible_cases, visible_orders
from api.text import shown
from models import order_ledger
from models.case import Case, open_key
from models.evidence import Evidence
from models.order import Order, Shipment
from rulebook import money, transitions
from rulebook.enums import Action, CaseKind, CaseStatus, Outcome, Party

router = APIRouter(prefix="/cases", tags=["cases"], route_class=IdempotentRoute)


@router.post("", status_code=201, dependencies=IDEMPOTENT, responses=documented(413, 429, 503) | links.CASE_OPENED)
async def open_case(
    request: Request,
    body: CaseCreate,
    caller: BuyerDep,
    session: SessionDep,
    client: TemporalDep,
    settings: SettingsDep,
) -> CasePublic:
    """Opens an after-sales case on one of the caller's orders and starts its workflow."""
    case_id = _case_id(key_use(request))
    earlier = await session.get(Case, case_id)
    if earlier is not None and earlier.buyer_id == caller.id:  # this very request stored it before: answer with it
        if earlier.event_count == 0:
            await release_connection(session)
            await start_case(client, earlier, settings, WorkflowIDConflictPolicy.USE_EXISTING)
            await session.refresh(earlier)
        return CasePublic.of(earlier)
    order = await _own_order(session, caller, body.order_id)
    _check_request(body, order)
    await buyer_caps.check_opening(session, settings, caller.id, order.order_id)
    amount = await _amount_asked(session, body, order)
    case = await _insert(session, body, order, amount, case_id)
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


@router.post("/{case_id}/actions", dependencies=IDEMPOTENT, responses=documented(413, 429, 503) | links.ACTION_TAKEN)
async def act(
    request: Request,
    case: VisibleCaseDep,
    action: Annotated[ActionBody, Body(openapi_examples=ACTION_EXAMPLES)],
    caller: CallerDep,
    session: SessionDep,
    client: TemporalDep,
    settings: SettingsDep,
) -> CasePublic:
    """One command of the action table in docs/api.md; 409 `invalid_state` when the case's state does not allow it."""
    command = to_request(action, caller)
    if not transitions.role_may(case.kind, command.action, caller.role):
        raise Forbidden(f"a {caller.role} cannot {command.action}")
    command = await with_return_address(session, case, command)
    if command.tracking_no is not None:
        await _check_new_parcel(session, command.tracking_no)
    if command.action == Action.WITHDRAW:
        await buyer_caps.check_withdrawal(session, settings, caller.id)
    if command.evidence_ids:
        await _check_evidence(session, case, command.evidence_ids)
    if command.outcome == Outcome.PARTIAL_REFUND and command.amount_cents is not None:
        await _check_left(session, case, command.amount_cents)
    use = key_use(request)
    await release_connection(session)
    await send_action(client, case, command, f"request-{use.fingerprint[:40]}" if use else None)
    await session.refresh(case)
    return CasePublic.of(case)


async def _own_order(session: AsyncSession, caller: Caller, order_id: str) -> Order:
    order = (await session.exec(visible_orders(select(Order), caller).where(Order.order_id == order_id))).first()
    if order is None:
        raise NotFound(f"no order {shown(order_id)}")
    return order


async def _check_evidence(session: AsyncSession, case: Case, evidence_ids: tuple[str, ...]) -> None:
    """An action may cite only this case's own evidence."""
    known = select(Evidence.evidence_id).where(
        Evidence.case_id == case.case_id, col(Evidence.evidence_id).in_(evidence_ids)
    )
    unknown = sorted(set(evidence_ids) - set((await session.exec(known)).all()))
    if unknown:
        named = ", ".join(shown(e, 40) for e in unknown[:5])
        raise Unprocessable(f"not evidence of this case: {named}", code="unknown_evidence", count=len(unknown))


async def _check_left(session: AsyncSession, case: Case, amount_cents: int) -> None:
    """A partial refund named now must fit what the order's ledger has left for this case."""
    order = await session.get(Order, case.order_id)
    assert order is not None
    allowed = order_ledger.allowance(order, await order_ledger.entries(session, case.order_id), case.items)
    if amount_cents > allowed.left_cents:
        raise _more_than_left(allowed)


def _more_than_left(allowed: money.Allowance) -> Unprocessable:
    return Unprocessable(
        f"amount_cents must be 1..{allowed.left_cents} (what is left to refund)",
        code="invalid_amount",
        max=allowed.left_cents,
        paid_cents=allowed.paid_cents,
        refunded_cents=allowed.committed_cents,
        refundable_cents=allowed.left_cents,
    )


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
    skus = {str(item.get("sku")) for item in order.items}
    unknown = sorted({item.sku for item in body.items or []} - skus)
    if unknown:
        raise Unprocessable(f"not in order {order.order_id}: {', '.join(unknown)}", code="unknown_items", skus=unknown)


async def _amount_asked(session: AsyncSession, body: CaseCreate, order: Order) -> int:
    """What the case asks, by the order's ledger: what is still refundable (of the named items when it names some)
    unless the buyer asks less. Cases opened at once may both pass here; their refunds are capped where the ledger
    row is claimed."""
    items = _items(body)
    allowed = order_ledger.allowance(order, await order_ledger.entries(session, order.order_id), items)
    paid, refunded = allowed.paid_cents, allowed.committed_cents
    if allowed.left_cents <= 0:
        what = "the named items" if items else f"order {order.order_id}"
        raise Conflict(
            f"nothing is left to refund on {what}",
            code="nothing_refundable",
            paid_cents=paid,
            refunded_cents=refunded,
            refundable_cents=0,
        )
    if body.amount_cents is not None and body.amount_cents > allowed.left_cents:
        raise _more_than_left(allowed)
    return body.amount_cents or allowed.left_cents


def _items(body: CaseCreate) -> list[dict[str, Any]] | None:
    """The named item lines, one per sku (quantities of a sku named twice add up)."""
    if not body.items:
        return None
    quantities: dict[str, int] = {}
    for item in body.items:
        quantities[item.sku] = quantities.get(item.sku, 0) + item.quantity
    return [{"sku": sku, "quantity": quantity} for sku, quantity in quantities.items()]


def _openable(kind: CaseKind) -> bool:
    """A buyer opens after-sales requests; exceptions are opened by the system."""
    return kind in transitions.AFTER_SALES and transitions.supported(kind)


def _case_id(use: KeyUse | None) -> str:
    """A request sent with an Idempotency-Key names its case by the key, so a retry finds what it opened."""
    return use.fingerprint[:16] if use else uuid.uuid4().hex[:16]


async def _insert(session: AsyncSession, body: CaseCreate, order: Order, amount_cents: int, case_id: str) -> Case:
    key = open_key(order.order_id, body.kind)
    case = Case(
        case_id=case_id,
        kind=body.kind,
        status=CaseStatus.AWAITING_MERCHANT,
        order_id=order.order_id,
        buyer_id=order.buyer_id,
        shop_id=order.shop_id,
        amount_cents=amount_cents,
        items=_items(body),
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
