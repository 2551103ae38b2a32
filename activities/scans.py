"""The exception scan's activities: each finds one page of stalled or missed shipments and opens their cases.

The rule book decides what is stalled (`rulebook.rules.shipment.stalled_event`) and what is missed
(`rulebook.exceptions.shipment_missed`); these activities only query, insert and start. Pages are keyset-paged by
the columns they filter on — unfinished outbound parcels by their last tracking event (`models/tracking.py`),
orders still waiting for their shipment by ship-by — and whatever was handled (delivered, shipped, refunded in
full, already given its case) is excluded in SQL, so no pile of handled rows can hide a later one.

One case per stall or miss however often a page is retried: the case id is derived from what it is about (the
parcel and the event it stalled on; the order that missed its shipment), and the insert marks the row handled in
the same transaction. A case stored but whose workflow never confirmed its opening (the activity died in between)
is started again by a retry of its page, or by the next round's restart step.
"""

import asyncio
import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
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
from rulebook.rules.shipment import stalled_event
from rulebook.timers import Timers
from workflows.case import CaseWorkflow
from workflows.messages import HISTORY_EVENTS_LIMIT, PageCursor, PageResult, ScanPage
from workflows.starting import case_input, start_operation

log = logging.getLogger("scans")
RESTART_AFTER = timedelta(minutes=1)  # a scan case with no event this long after its insert lost its start


def scan_case_id(*about: str) -> str:
    """The case id of one stall or miss, the same on every retry."""
    return hashlib.sha256(":".join(about).encode()).hexdigest()[:16]


class ScanActivities:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        client: Client,
        task_queue: str,
        timers: Timers,
        thresholds: Thresholds,
        deadlines: DeadlinePolicy | None = None,
        history_events_limit: int = HISTORY_EVENTS_LIMIT,
    ) -> None:
        self._sessions, self._client, self._task_queue = sessions, client, task_queue
        self._timers, self._thresholds = timers, thresholds
        self._deadlines = deadlines or DeadlinePolicy()
        self._history_events_limit = history_events_limit

    @activity.defn
    async def scan_stalled_page(self, page: ScanPage) -> PageResult:
        """One page of outbound parcels whose last tracking event is T-STALL old and not final, whose stall has had
        no case, on orders with no open `logistics_stalled` case."""
        now = datetime.now(UTC)
        last_at = col(Shipment.last_event_at)
        statement = (
            select(Shipment, Order)
            .join(Order, col(Order.order_id) == col(Shipment.order_id))
            .where(
                col(Shipment.direction) == ShipmentDirection.OUTBOUND,
                col(Shipment.tracking_final).is_(False),
                last_at <= now - self._timers.stall,
                or_(col(Shipment.stall_handled_at).is_(None), col(Shipment.stall_handled_at) < last_at),
                _no_open_case(CaseKind.LOGISTICS_STALLED),
                *_of_shop(page),
                *_after(last_at, col(Shipment.id), page.after, int),
            )
            .order_by(last_at, col(Shipment.id))
            .limit(page.size)
        )
        async with self._sessions() as session:
            rows = list((await session.exec(statement)).all())
            stuck = [(shipment, order, await _last_event(session, shipment)) for shipment, order in rows]
        cases: list[tuple[Case, Shipment]] = []
        for shipment, order, event in stuck:
            if event is None or stalled_event((event,), now, self._timers.stall) is None:
                continue
            hours = int((now - event.at).total_seconds() // 3600)
            place = event.location or "?"
            why = f"{shipment.tracking_no}: no tracking event for {hours} h since {event.status} at {place}"
            case_id = scan_case_id("stall", shipment.tracking_no, event.at.isoformat())
            cases.append((self._case(case_id, order, CaseKind.LOGISTICS_STALLED, why), shipment))
        opened = await self._open_all([(case, self._mark_stall(shipment)) for case, shipment in cases])
        last = rows[-1][0] if len(rows) == page.size else None
        cursor = PageCursor(last.last_event_at, str(last.id)) if last and last.last_event_at else None
        return PageResult(opened, cursor)

    @activity.defn
    async def scan_missed_page(self, page: ScanPage) -> PageResult:
        """One page of paid orders past ship-by with no outbound shipment, not refunded in full, that have not had
        their `missed_shipment` case."""
        now = datetime.now(UTC)
        ship_by = col(Order.ship_by)
        statement = (
            select(Order)
            .where(
                col(Order.shipment_pending).is_(True),
                ship_by < now,
                _refunded(Order.order_id) < col(Order.total_cents),
                ~_shipped(),
                _no_case_ever(CaseKind.MISSED_SHIPMENT),
                *_of_shop(page),
                *_after(ship_by, col(Order.order_id), page.after, str),
            )
            .order_by(ship_by, col(Order.order_id))
            .limit(page.size)
        )
        async with self._sessions() as session:
            orders = list((await session.exec(statement)).all())
        cases = [
            (
                self._case(scan_case_id("missed", order.order_id), order, CaseKind.MISSED_SHIPMENT, why),
                self._mark_missed(order),
            )
            for order in orders
            if shipment_missed(order.ship_by, False, now)
            for why in (f"ship-by {order.ship_by.isoformat()} passed with no shipment",)
        ]
        opened = await self._open_all(cases)
        last = orders[-1] if len(orders) == page.size else None
        return PageResult(opened, PageCursor(last.ship_by, last.order_id) if last else None)

    @activity.defn
    async def restart_unstarted(self, page: ScanPage) -> tuple[str, ...]:
        """Exception cases stored a while ago whose workflow never confirmed its opening."""
        statement = select(Case).where(
            col(Case.kind).in_(EXCEPTION_KINDS),
            Case.event_count == 0,
            col(Case.open_key).is_not(None),
            col(Case.created_at) <= datetime.now(UTC) - RESTART_AFTER,
            *((col(Case.shop_id) == page.shop_id,) if page.shop_id else ()),
        )
        async with self._sessions() as session:
            cases = list((await session.exec(statement.limit(page.size))).all())
        restarted = []
        for case in cases:
            restarted.append(await self._start(case))
            activity.heartbeat(len(restarted))
        return tuple(restarted)

    # --- opening -----------------------------------------------------------------------------------

    def _case(self, case_id: str, order: Order, kind: CaseKind, why: str) -> Case:
        return Case(
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

    @staticmethod
    def _mark_stall(shipment: Shipment) -> object:
        return update(Shipment).where(col(Shipment.id) == shipment.id).values(stall_handled_at=shipment.last_event_at)

    @staticmethod
    def _mark_missed(order: Order) -> object:
        return update(Order).where(col(Order.order_id) == order.order_id).values(shipment_pending=False)

    async def _open_all(self, cases: list[tuple[Case, object]]) -> tuple[str, ...]:
        """Stores each case with its row's handled mark, then starts the workflows together (heartbeating)."""
        stored = [case for case, mark in cases if await self._store(case, mark)]
        started: list[str] = []

        async def start(case: Case) -> None:
            started.append(await self._start(case))
            activity.heartbeat(len(started))

        await asyncio.gather(*(start(case) for case in stored))
        return tuple(sorted(started, key=[c.case_id for c in stored].index))

    async def _store(self, case: Case, mark: object) -> bool:
        """True when the case is stored and not yet confirmed started (new, or stored by an attempt that died)."""
        try:
            async with transaction(self._sessions) as session:
                session.add(case)
                await session.flush()
                await session.exec(mark)  # type: ignore[call-overload]
            return True
        except IntegrityError:
            async with self._sessions() as session:
                earlier = await session.get(Case, case.case_id)
            return earlier is not None and earlier.event_count == 0  # else: another case holds the order

    async def _start(self, case: Case) -> str:
        opened = case_input(case, self._timers, self._thresholds, self._deadlines, self._history_events_limit)
        start = start_operation(case, opened, self._task_queue, WorkflowIDConflictPolicy.USE_EXISTING)
        await self._client.execute_update_with_start_workflow(CaseWorkflow.opened, start_workflow_operation=start)
        log.info("opened %s case %s on order %s", case.kind, case.case_id, case.order_id)
        return case.case_id


def _after(at: Any, key: Any, cursor: PageCursor | None, parse: Callable[[str], object]) -> list[ColumnElement[bool]]:
    """The keyset condition `(at, key) > cursor`, spelt so that an index on (…, at, key) serves it."""
    if cursor is None:
        return []
    last_key = parse(cursor.key)
    return [at >= cursor.at, or_(at > cursor.at, and_(at == cursor.at, key > last_key))]


async def _last_event(session: AsyncSession, shipment: Shipment) -> TrackingEvent | None:
    statement = select(TrackingEventRow).where(
        TrackingEventRow.tracking_no == shipment.tracking_no, col(TrackingEventRow.at) == shipment.last_event_at
    )
    row = (await session.exec(statement.limit(1))).first()
    return TrackingEvent(row.status, row.at, row.location) if row else None


def _no_open_case(kind: CaseKind) -> ColumnElement[bool]:
    """No open case of `kind` holds the order (`models.case.open_key`: `<order_id>:<kind>`)."""
    return ~exists().where(col(Case.open_key) == col(Order.order_id) + f":{kind}")


def _no_case_ever(kind: CaseKind) -> ColumnElement[bool]:
    """An order's missed shipment has one case: once settled, the merchant's shipment is awaited, not re-alerted."""
    return ~exists().where(col(Case.order_id) == col(Order.order_id), col(Case.kind) == kind)


def _shipped() -> ColumnElement[bool]:
    return exists().where(
        col(Shipment.order_id) == col(Order.order_id), col(Shipment.direction) == ShipmentDirection.OUTBOUND
    )


def _refunded(order_id: object) -> ColumnElement[int]:
    """What the order's ledger has refunded (confirmed): a refund in full before shipment cancels the shipment."""
    return (
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .where(
            col(LedgerEntry.order_id) == order_id,
            col(LedgerEntry.kind) == LedgerKind.REFUND,
            col(LedgerEntry.status) == LedgerStatus.SUCCEEDED,
        )
        .scalar_subquery()
    )


def _of_shop(page: ScanPage) -> tuple[ColumnElement[bool], ...]:
    return (col(Order.shop_id) == page.shop_id,) if page.shop_id else ()
