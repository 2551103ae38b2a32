"""Gathers what the rule book decides on: the order, its listing snapshot, tracking and evidence."""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.transfer_option import oversold_line, transfer_option
from models import order_ledger
from models.case import Case
from models.evidence import Evidence
from models.order import Order, Shipment, TrackingEventRow
from models.shop_settings import ShopSettings
from models.timeline import CaseEvent
from rulebook.enums import CaseKind, EvidenceKind, Party, ReasonCode, ShipmentDirection, ShipmentState, TrackingStatus
from rulebook.facts import CaseFacts, DeliveryRecord, EvidenceOnFile, ListingPolicy, Statement, TrackingEvent
from rulebook.oversell import TransferOption
from workflows.messages import CaseInput


class FactsActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @activity.defn
    async def load_case_facts(self, opened: CaseInput) -> CaseFacts:
        """The facts as they stand now; the workflow replaces `now` with its own deterministic clock."""
        case_id = opened.case_id
        async with self._sessions() as session:
            with_order = select(Case, Order).join(Order, col(Order.order_id) == Case.order_id)
            found = (await session.exec(with_order.where(Case.case_id == case_id))).first()
            if found is None:
                raise ApplicationError(f"no case {case_id} or its order", type="case_not_found", non_retryable=True)
            case, order = found
            tracking = await _tracking(session, order.order_id)
            delivered = [t.at for t in tracking if t.status == TrackingStatus.DELIVERED]
            statements, delivery_record = await _from_timeline(session, case_id)
            return CaseFacts(
                kind=case.kind,
                reason=_reason(case.reason),
                amount_cents=case.amount_cents,
                paid_cents=order.total_cents,
                refunded_cents=await _refunded(session, order.order_id),
                shipment=await _shipment_state(session, order.order_id, bool(delivered)),
                now=datetime.now(UTC),
                timers=opened.timers,
                thresholds=opened.thresholds,
                policy=listing_policy(order.items, case.items),
                delivered_at=max(delivered) if delivered else None,
                tracking=tuple(tracking),
                evidence=await _evidence(session, case_id),
                statements=statements,
                description=case.description,
                urgent=case.urgent,
                asked_at=case.created_at,
                transfer_from=await _transfer_from(session, case, order),
                listing_snapshot=tuple(
                    {"sku": i.get("sku"), "title": i.get("title"), "listing": i.get("listing") or {}}
                    for i in named_items(order.items, case.items)
                ),
                delivery_record=delivery_record,
                shop_return_address=await _shop_return_address(session, case.shop_id),
            )


async def _transfer_from(session: AsyncSession, case: Case, order: Order) -> TransferOption | None:
    """Oversold: the nearest warehouse with spare stock of the line the case is about."""
    if case.kind != CaseKind.OVERSOLD:
        return None
    return await transfer_option(session, order, await oversold_line(session, order, case.items))


async def _from_timeline(session: AsyncSession, case_id: str) -> tuple[tuple[Statement, ...], DeliveryRecord | None]:
    """What the parties said (a rejecting merchant's claims, everyone's messages) and the courier's delivery record
    the case fetched on opening (workflows/not_received.py), as on its timeline."""
    kinds = ("merchant_rejected", "message", "courier_delivery_record")
    rows = await session.exec(
        select(CaseEvent)
        .where(CaseEvent.case_id == case_id, col(CaseEvent.type).in_(kinds))
        .order_by(col(CaseEvent.seq))
    )
    statements: list[Statement] = []
    record: DeliveryRecord | None = None
    for event in rows.all():
        if event.type == "courier_delivery_record":
            photo = event.data.get("photo_ref")
            record = DeliveryRecord(str(event.data.get("reference") or ""), str(photo) if photo else None)
            continue
        by = Party(event.actor_role)
        if event.type == "message":
            statements.append(Statement(by, "message", str(event.data.get("text") or "")))
        else:
            reason = str(event.data.get("reason") or "")
            statements += [Statement(by, str(claim), reason) for claim in event.data.get("claims", [])]
    return tuple(statements), record


async def _shop_return_address(session: AsyncSession, shop_id: str) -> str | None:
    settings = await session.get(ShopSettings, shop_id)
    return settings.return_address if settings is not None and settings.return_address else None


def _reason(value: str) -> ReasonCode:
    try:
        return ReasonCode(value)
    except ValueError:
        return ReasonCode.OTHER


def named_items(
    items: Sequence[Mapping[str, Any]], named: Sequence[Mapping[str, Any]] | None
) -> list[Mapping[str, Any]]:
    """The order's items a case names, or every item when it names none (or none of them matches)."""
    skus = {str(n.get("sku")) for n in named or ()}
    return [item for item in items if str(item.get("sku")) in skus] or list(items)


def listing_policy(
    items: Sequence[Mapping[str, Any]], named: Sequence[Mapping[str, Any]] | None = None
) -> ListingPolicy:
    """The strictest policy across the items the case names (every item of the order when it names none), as
    the listing showed it at purchase."""
    chosen = named_items(items, named)
    listings = [item.get("listing") or {} for item in chosen] or [{}]
    policies = [listing.get("after_sales_policy") or {} for listing in listings]
    categories = [str(item["category"]) for item in chosen if item.get("category")]
    descriptions = list(dict.fromkeys(str(d) for listing in listings if (d := listing.get("description"))))
    return ListingPolicy(
        seven_day_return=all(p.get("seven_day_return", True) for p in policies),
        returnable_with_tags_only=any(p.get("returnable_with_tags_only", False) for p in policies),
        washable=all(p.get("washable", True) for p in policies),
        perishable=any(p.get("perishable", False) for p in policies),
        custom_made=any(p.get("custom_made", False) for p in policies),
        category=categories[0] if categories else "",
        description=" / ".join(descriptions),
    )


async def _tracking(session: AsyncSession, order_id: str) -> list[TrackingEvent]:
    numbers = select(Shipment.tracking_no).where(*_outbound(order_id))
    rows = await session.exec(
        select(TrackingEventRow)
        .where(col(TrackingEventRow.tracking_no).in_(numbers))
        .order_by(col(TrackingEventRow.at))
    )
    return [TrackingEvent(r.status, r.at, r.location, r.proof_kind, r.proof_ref) for r in rows.all()]


async def _shipment_state(session: AsyncSession, order_id: str, delivered: bool) -> ShipmentState:
    if delivered:
        return ShipmentState.DELIVERED
    shipped = (await session.exec(select(Shipment.id).where(*_outbound(order_id)).limit(1))).first()
    return ShipmentState.IN_TRANSIT if shipped is not None else ShipmentState.NOT_SHIPPED


def _outbound(order_id: str) -> tuple[Any, ...]:
    """The order's own shipments: a case's return or replacement parcel says nothing of the order's delivery."""
    return Shipment.order_id == order_id, Shipment.direction == ShipmentDirection.OUTBOUND


async def _refunded(session: AsyncSession, order_id: str) -> int:
    """Refunds of every case of the order that hold money (succeeded, or claimed and still in flight), less
    reversals."""
    return sum(move.amount_cents for move in order_ledger.committed(await order_ledger.entries(session, order_id)))


async def _evidence(session: AsyncSession, case_id: str) -> tuple[EvidenceOnFile, ...]:
    parties = (Evidence.case_id == case_id, col(Evidence.kind) != EvidenceKind.SYSTEM)  # the platform's own aside
    rows = await session.exec(select(Evidence).where(*parties).order_by(col(Evidence.created_at)))
    return tuple(EvidenceOnFile(e.evidence_id, e.kind, Party(e.uploaded_by_role), e.note) for e in rows.all())
