"""Goods and parcels moved for a case, exactly once per business key: the fulfilment service and the courier.

A call first claims its row (`remedy_calls`, unique on the business key); only then is the service called, with the
business key as its idempotency key, so neither a retried activity nor a restarted worker acts twice. A service's
final refusal (`RemedyRefused`) marks the row failed and the receipt says why; anything else is retried by Temporal.
"""

from dataclasses import asdict
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar
from temporalio import activity

from activities.adapters.courier import Courier
from activities.adapters.fulfilment import Fulfilment, Item
from activities.adapters.remedy_errors import RemedyRefused
from activities.heartbeat import heartbeating
from activities.stock_transfer import StockTransfer
from activities.transfer_option import nearest_listed
from models.case import Case
from models.db import transaction
from models.order import Order, Shipment
from models.remedy_call import RemedyCallRow, RemedyStatus
from models.types import utcnow
from rulebook.enums import CaseKind, ShipmentDirection
from workflows.remedy_messages import RemedyAction, RemedyCall, RemedyOutcome, RemedyReceipt

A = RemedyAction
PARCEL_ACTIONS = frozenset({A.INTERCEPT, A.URGE, A.DELIVERY_RECORD, A.UPGRADE_TRANSPORT})


class RemedyActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], fulfilment: Fulfilment, courier: Courier) -> None:
        self._sessions = sessions
        self._fulfilment = fulfilment
        self._courier = courier

    @activity.defn
    async def carry_out(self, call: RemedyCall) -> RemedyReceipt:
        """Heartbeats throughout (its claim, the outside call, its settling): a worker that dies mid-call is
        noticed within the workflow's heartbeat timeout and the call retried elsewhere with the same key."""
        async with heartbeating():
            row = await self._claim(call)
            if row.status == RemedyStatus.PENDING:
                try:
                    result = await self._perform(call)
                except RemedyRefused as refused:
                    row = await self._settle(call.business_key, RemedyStatus.FAILED, None, refused.reason)
                else:
                    row = await self._settle(call.business_key, RemedyStatus.SUCCEEDED, result, "")
        return _receipt(row)

    async def _perform(self, call: RemedyCall) -> dict[str, Any]:
        key, parcel = call.business_key, await self._parcel(call)
        if call.action == A.CANCEL_FULFILMENT:
            return {"reference": await self._fulfilment.cancel(idempotency_key=key, order_id=call.order_id)}
        if call.action == A.RESHIP:
            items = [Item(i.sku, i.quantity) for i in call.items] or await self._case_items(call)
            warehouse, stock = call.warehouse, None
            if call.nearest_stock and warehouse is None:
                warehouse, stock = await self._nearest_with_stock(call, items)
            shipped = await self._fulfilment.reship(
                idempotency_key=key, order_id=call.order_id, items=items, warehouse=warehouse, fastest=call.fastest
            )
            return {**asdict(shipped), "fastest": call.fastest, **({"stock": stock} if stock else {})}
        if call.action == A.STOCK:
            items = [Item(i.sku, i.quantity) for i in call.items] or await self._case_items(call)
            return {"reference": "", "stock": {item.sku: await self._fulfilment.stock(sku=item.sku) for item in items}}
        if call.action == A.TRANSFER:  # activities/stock_transfer.py
            named = Item(call.items[0].sku, call.items[0].quantity) if call.items else None  # else the oversold line
            transfer = StockTransfer(self._sessions, self._fulfilment)
            return await transfer.move(key, call.case_id, call.order_id, named, call.from_warehouse, call.warehouse)
        if call.action == A.UPGRADE_TRANSPORT:
            reference = await self._fulfilment.upgrade_transport(
                idempotency_key=key, order_id=call.order_id, tracking_no=call.tracking_no
            )
            return {"reference": reference, **parcel}
        if call.action == A.INTERCEPT:
            interception = await self._courier.intercept(idempotency_key=key, **parcel)
            return {"reference": interception.reference, "outcome": str(interception.outcome), **parcel}
        if call.action == A.URGE:
            return {"reference": await self._courier.urge(idempotency_key=key, **parcel), **parcel}
        record = await self._courier.delivery_record(idempotency_key=key, **parcel)
        return {"reference": record.reference, "photo_ref": record.photo_ref, **parcel}

    async def _nearest_with_stock(self, call: RemedyCall, items: list[Item]) -> tuple[str, dict[str, dict[str, int]]]:
        """The nearest warehouse (the rule book's nearness, `activities/transfer_option.py`) with every item in stock
        by fulfilment's listing, and what it found."""
        stock = {item.sku: await self._fulfilment.stock(sku=item.sku) for item in items}
        listed = list(stock[items[0].sku]) if items else []
        held = [w for w in listed if all(stock[item.sku].get(w, 0) >= item.quantity for item in items)]
        async with self._sessions() as session:
            order = await session.get(Order, call.order_id)
            nearest = await nearest_listed(session, order, held) if order is not None else held
        if not nearest:
            raise RemedyRefused(f"no warehouse has {', '.join(i.sku for i in items)} in stock")
        return nearest[0], stock

    async def _parcel(self, call: RemedyCall) -> dict[str, str]:
        """The parcel the call names, else the order's own latest shipment (interception, urge, faster transport)."""
        if call.tracking_no or call.action not in PARCEL_ACTIONS:
            return {"carrier": call.carrier, "tracking_no": call.tracking_no}
        async with self._sessions() as session:
            outbound = (Shipment.order_id == call.order_id, Shipment.direction == ShipmentDirection.OUTBOUND)
            latest = select(Shipment).where(*outbound).order_by(col(Shipment.id).desc()).limit(1)
            shipment = (await session.exec(latest)).first()
        if shipment is None:
            raise RemedyRefused(f"order {call.order_id} has no shipment to {call.action}")
        return {"carrier": shipment.carrier, "tracking_no": shipment.tracking_no}

    async def _case_items(self, call: RemedyCall) -> list[Item]:
        """The items the case names, else the whole order's. An oversold case names its short line, but its
        reshipment is the order's own shipment: the whole order."""
        async with self._sessions() as session:
            case = await session.get(Case, call.case_id)
            order = await session.get(Order, call.order_id)
        named = case.items if case is not None and case.kind != CaseKind.OVERSOLD else None
        items = named or (order.items if order is not None else [])
        return [Item(str(i["sku"]), int(i.get("quantity", 1))) for i in items]

    async def _claim(self, call: RemedyCall) -> RemedyCallRow:
        async with self._sessions() as session:
            existing = (await session.exec(_by_key(call.business_key))).first()
        if existing is not None:
            return existing
        row = RemedyCallRow(
            business_key=call.business_key, case_id=call.case_id, action=call.action, request=_request(call)
        )
        try:
            async with transaction(self._sessions) as session:
                session.add(row)
            return row
        except IntegrityError:  # a concurrent attempt of this same call claimed it first
            async with self._sessions() as session:
                return (await session.exec(_by_key(call.business_key))).one()

    async def _settle(self, key: str, status: RemedyStatus, result: dict[str, Any] | None, note: str) -> RemedyCallRow:
        async with transaction(self._sessions) as session:
            row = (await session.exec(_by_key(key))).one()
            row.status, row.result, row.note, row.completed_at = status, result, note[:500], utcnow()
            row.external_ref = str((result or {}).get("reference") or "") or None
            session.add(row)
        return row


def _request(call: RemedyCall) -> dict[str, Any]:
    data = asdict(call)
    data.pop("business_key")
    data.pop("case_id")
    return data


def _receipt(row: RemedyCallRow) -> RemedyReceipt:
    failed = row.status == RemedyStatus.FAILED
    return RemedyReceipt(
        business_key=row.business_key,
        action=RemedyAction(row.action),
        status=RemedyOutcome.FAILED if failed else RemedyOutcome.DONE,
        reference=row.external_ref or "",
        reason=row.note,
        result=dict(row.result or {}),
    )


def _by_key(business_key: str) -> SelectOfScalar[RemedyCallRow]:
    return select(RemedyCallRow).where(RemedyCallRow.business_key == business_key)
