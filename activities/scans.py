"""The exception scan's activity: finds stalled and missed shipments, opens their cases and starts their workflows.

The rule book decides what is stalled (`rulebook.rules.shipment.stalled_event`) and what is missed
(`rulebook.exceptions.shipment_missed`); this activity only queries, inserts and starts. The `open_key` unique
constraint on cases holds one open case per order and kind, so two scans racing open one case; a stall opens one
case per stalled event (a closed case is not reopened while the tracking stays where it was) and a missed shipment
one case per order. A case stored but
whose workflow never confirmed its opening (the activity died in between) is started again by the next scan.
"""

import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, exists, func
from sqlalchemy import case as when
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar
from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from models.case import Case, open_key
from models.db import transaction
from models.ledger import LedgerEntry, LedgerKind, LedgerStatus
from models.order import Order, Shipment, TrackingEventRow
from rulebook.deadlines import DeadlinePolicy
from rulebook.enums import CaseKind, CaseStatus, Party, ReasonCode, ShipmentDirection
from rulebook.exceptions import EXCEPTION_KINDS, shipment_missed
from rulebook.facts import Thresholds, TrackingEvent
from rulebook.rules.shipment import FINAL_TRACKING, stalled_event
from rulebook.timers import Timers
from workflows.case import CaseWorkflow
from workflows.messages import ScanRequest, ScanResult
from workflows.starting import case_input, start_operation

log = logging.getLogger("scans")
RESTART_AFTER = timedelta(minutes=1)  # a scan case with no event this long after its insert lost its start


class ScanActivities:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        client: Client,
        task_queue: str,
        timers: Timers,
        thresholds: Thresholds,
        deadlines: DeadlinePolicy | None = None,
    ) -> None:
        self._sessions, self._client, self._task_queue = sessions, client, task_queue
        self._timers, self._thresholds = timers, thresholds
        self._deadlines = deadlines or DeadlinePolicy()

    @activity.defn
    async def open_exception_cases(self, scan: ScanRequest) -> ScanResult:
        now = datetime.now(UTC)
        restarted = [await self._start(case) for case in await self._unstarted(scan, now)]
        stalled = [
            await self._open(order, CaseKind.LOGISTICS_STALLED, why) for order, why in await self._stalled(scan, now)
        ]
        missed = [
            await self._open(order, CaseKind.MISSED_SHIPMENT, why) for order, why in await self._missed(scan, now)
        ]
        return ScanResult(
            stalled=tuple(c for c in stalled if c), missed=tuple(c for c in missed if c), restarted=tuple(restarted)
        )

    # --- finding -----------------------------------------------------------------------------------

    async def _stalled(self, scan: ScanRequest, now: datetime) -> list[tuple[Order, str]]:
        """Outbound shipments whose last tracking event is T-STALL old and not final, on orders with no open
        `logistics_stalled` case."""
        last_at = func.max(TrackingEventRow.at)
        final = when((col(TrackingEventRow.status).in_(FINAL_TRACKING), 1), else_=0)
        shipments = (
            select(Shipment.tracking_no)
            .join(TrackingEventRow, col(TrackingEventRow.tracking_no) == col(Shipment.tracking_no))
            .join(Order, col(Order.order_id) == col(Shipment.order_id))
            .where(
                Shipment.direction == ShipmentDirection.OUTBOUND,
                _no_open_case(CaseKind.LOGISTICS_STALLED),
                *_of_shop(scan),
            )
            .group_by(col(Shipment.tracking_no))
            .having(last_at <= now - self._timers.stall, func.sum(final) == 0)
            .limit(scan.limit * 4)
        )
        found: list[tuple[Order, str]] = []
        async with self._sessions() as session:
            for tracking_no in (await session.exec(shipments)).all():
                rows = await session.exec(select(TrackingEventRow).where(TrackingEventRow.tracking_no == tracking_no))
                events = tuple(TrackingEvent(r.status, r.at, r.location) for r in rows.all())
                stuck = stalled_event(events, now, self._timers.stall)
                order = (await session.exec(_order_of(tracking_no))).first()
                if stuck is None or order is None or any(o.order_id == order.order_id for o, _ in found):
                    continue
                if await _had_case(session, order.order_id, CaseKind.LOGISTICS_STALLED, since=stuck.at):
                    continue  # this stall has had its case; only a new stall (tracking moved, then stuck) opens another
                hours = int((now - stuck.at).total_seconds() // 3600)
                why = f"{tracking_no}: no tracking event for {hours} h since {stuck.status} at {stuck.location or '?'}"
                found.append((order, why))
                if len(found) >= scan.limit:
                    break
        return found

    async def _missed(self, scan: ScanRequest, now: datetime) -> list[tuple[Order, str]]:
        """Paid orders past ship-by with no outbound shipment, with no open `missed_shipment` case."""
        shipped = exists().where(
            col(Shipment.order_id) == col(Order.order_id), col(Shipment.direction) == ShipmentDirection.OUTBOUND
        )
        orders = (
            select(Order)
            .where(col(Order.ship_by) < now, ~shipped, _no_case_ever(CaseKind.MISSED_SHIPMENT), *_of_shop(scan))
            .order_by(col(Order.ship_by))
            .limit(scan.limit)
        )
        found: list[tuple[Order, str]] = []
        async with self._sessions() as session:
            for order in (await session.exec(orders)).all():
                refunded = await _refunded(session, order.order_id)
                if shipment_missed(order.ship_by, False, now, fully_refunded=refunded >= order.total_cents):
                    found.append((order, f"ship-by {order.ship_by.isoformat()} passed with no shipment"))
        return found

    async def _unstarted(self, scan: ScanRequest, now: datetime) -> list[Case]:
        statement = select(Case).where(
            col(Case.kind).in_(EXCEPTION_KINDS),
            Case.event_count == 0,
            col(Case.open_key).is_not(None),
            col(Case.created_at) <= now - RESTART_AFTER,
            *((col(Case.shop_id) == scan.shop_id,) if scan.shop_id else ()),
        )
        async with self._sessions() as session:
            return list((await session.exec(statement.limit(scan.limit))).all())

    # --- opening -----------------------------------------------------------------------------------

    async def _open(self, order: Order, kind: CaseKind, why: str) -> str | None:
        """Inserts the case and starts its workflow; None when an open case of this kind took the order first."""
        case_id = uuid.uuid4().hex[:16]
        case = Case(
            case_id=case_id,
            kind=kind,
            status=CaseStatus.AWAITING_MERCHANT,
            order_id=order.order_id,
            buyer_id=order.buyer_id,
            shop_id=order.shop_id,
            amount_cents=order.total_cents,
            reason=ReasonCode.NOT_SHIPPED if kind == CaseKind.MISSED_SHIPMENT else ReasonCode.OTHER,
            description=why,
            awaiting=Party.MERCHANT,
            open_key=open_key(order.order_id, kind),
            workflow_id=f"case-{case_id}",
        )
        try:
            async with transaction(self._sessions) as session:
                session.add(case)
        except IntegrityError:
            return None  # another scan (or a retry of this one) opened it
        return await self._start(case)

    async def _start(self, case: Case) -> str:
        opened = case_input(case, self._timers, self._thresholds, self._deadlines)
        start = start_operation(case, opened, self._task_queue, WorkflowIDConflictPolicy.USE_EXISTING)
        await self._client.execute_update_with_start_workflow(CaseWorkflow.opened, start_workflow_operation=start)
        log.info("opened %s case %s on order %s", case.kind, case.case_id, case.order_id)
        return case.case_id


def _no_open_case(kind: CaseKind) -> ColumnElement[bool]:
    """No open case of `kind` holds the order (`models.case.open_key`: `<order_id>:<kind>`)."""
    return ~exists().where(col(Case.open_key) == col(Order.order_id) + f":{kind}")


def _no_case_ever(kind: CaseKind) -> ColumnElement[bool]:
    """An order's missed shipment has one case: once settled, the merchant's shipment is awaited, not re-alerted."""
    return ~exists().where(col(Case.order_id) == col(Order.order_id), col(Case.kind) == kind)


async def _had_case(session: AsyncSession, order_id: str, kind: CaseKind, since: datetime) -> bool:
    statement = select(Case.case_id).where(
        Case.order_id == order_id, col(Case.kind) == kind, col(Case.created_at) >= since
    )
    return (await session.exec(statement.limit(1))).first() is not None


def _of_shop(scan: ScanRequest) -> tuple[ColumnElement[bool], ...]:
    return (col(Order.shop_id) == scan.shop_id,) if scan.shop_id else ()


def _order_of(tracking_no: str) -> SelectOfScalar[Order]:
    return (
        select(Order)
        .join(Shipment, col(Shipment.order_id) == col(Order.order_id))
        .where(Shipment.tracking_no == tracking_no, Shipment.direction == ShipmentDirection.OUTBOUND)
    )


async def _refunded(session: AsyncSession, order_id: str) -> int:
    total = await session.exec(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
            LedgerEntry.order_id == order_id,
            LedgerEntry.kind == LedgerKind.REFUND,
            LedgerEntry.status == LedgerStatus.SUCCEEDED,
        )
    )
    return int(total.one())
