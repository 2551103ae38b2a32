"""The objects of the authorization matrix, all owned by buyer A and shop 1, the callers who try them, and a
snapshot of every row those objects touch (a denied request must leave it as it was)."""

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import AsyncClient, Response
from sqlalchemy import func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.case import Case
from models.evidence import Evidence
from models.idempotency import IdempotencyRecord
from models.inventory import StockLevel
from models.ledger import LedgerEntry
from models.notification import Notification
from models.order import Order, Shipment, TrackingEventRow
from models.shop_settings import ShopSettings
from models.timeline import CaseEvent
from rulebook.enums import CaseStatus, Role
from tests.api.evidence_helpers import png, upload
from tests.api.helpers import AGENT, SYSTEM, act, auth, new_id, order_body

Sessions = async_sessionmaker[AsyncSession]
ROLES = ("anon", "buyer_a", "buyer_b", "shop1", "shop2", "agent", "system")
RETURN_ADDRESS = "杭州市余杭区退货仓 1 号"


@dataclass(frozen=True)
class People:
    buyer_a: str
    buyer_b: str
    shop1: str
    shop2: str

    @classmethod
    def new(cls) -> "People":
        run = uuid.uuid4().hex[:8]
        return cls(f"buyer-a-{run}", f"buyer-b-{run}", f"shop1-{run}", f"shop2-{run}")

    def headers(self, role: str) -> dict[str, str]:
        return {
            "anon": {},
            "buyer_a": auth(Role.BUYER, self.buyer_a),
            "buyer_b": auth(Role.BUYER, self.buyer_b),
            "shop1": auth(Role.MERCHANT, "clerk-1", shop_id=self.shop1),
            "shop2": auth(Role.MERCHANT, "clerk-2", shop_id=self.shop2),
            "agent": AGENT,
            "system": SYSTEM,
        }[role]


@dataclass(frozen=True)
class Objects:
    """Ids of what a request names. The module's world has them all; a fresh set replaces what one cell changes."""

    order_id: str  # delivered, with `case_id` on it
    case_id: str  # refund_only, awaiting the merchant
    evidence_id: str  # buyer A's photo on `case_id`
    exchange_case_id: str  # awaiting the merchant: the goods' actions
    exception_case_id: str  # oversold, awaiting the merchant's remedy
    closed_case_id: str  # refunded at once by the platform (the order never shipped): open to an override
    feed_order_id: str  # shipped, in transit, no case: the feeds' target, and the order a case opens on
    tracking_no: str  # the parcel of `feed_order_id`
    sku: str  # the stock of `exception_case_id`'s order
    spare_order_id: str  # never created: what a denied `POST /orders` would have made


async def push(client: AsyncClient, people: People, *, shipped: bool, delivered: bool, sku: str = "tee-1") -> str:
    """An order of buyer A at shop 1 through the integration endpoints; its id (and its parcel's number)."""
    order_id = new_id("order")
    body = order_body(order_id, people.buyer_a, people.shop1)
    body["items"][0]["sku"] = sku
    if not shipped:
        body["ship_by"] = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    _ok(await client.post("/orders", json=body, headers=SYSTEM))
    if shipped:
        await ship(client, order_id, delivered=delivered)
    return order_id


async def ship(client: AsyncClient, order_id: str, *, delivered: bool) -> str:
    tracking_no = new_id("SF")
    _ok(
        await client.post(
            f"/orders/{order_id}/shipments", json={"carrier": "SF", "tracking_no": tracking_no}, headers=SYSTEM
        )
    )
    status, at = ("delivered", timedelta(days=1)) if delivered else ("in_transit", timedelta(hours=6))
    event = {
        "tracking_no": tracking_no,
        "status": status,
        "location": "上海",
        "at": (datetime.now(UTC) - at).isoformat(),
    }
    _ok(await client.post("/logistics/events", json=event, headers=SYSTEM))
    return tracking_no


async def open_case(client: AsyncClient, people: People, order_id: str, kind: str = "refund_only") -> str:
    body = {"order_id": order_id, "kind": kind, "reason": "quality_defect", "description": "开线"}
    created = _ok(await client.post("/cases", json=body, headers=people.headers("buyer_a")))
    case_id: str = created.json()["case_id"]
    return case_id


async def oversold_case(client: AsyncClient, people: People) -> tuple[str, str]:
    """An order of a SKU of its own, then its stock put at nothing: the order's `oversold` case (and the SKU)."""
    sku = new_id("sku")
    await push(client, people, shipped=False, delivered=False, sku=sku)
    warehouse = {"warehouse_id": "w-sh", "available": 0, "location": {"province": "上海", "city": "上海"}}
    put = _ok(await client.put(f"/inventory/{sku}", json={"warehouses": [warehouse]}, headers=SYSTEM))
    [case_id] = put.json()["oversold_case_ids"]
    return case_id, sku


async def build(client: AsyncClient, people: People) -> Objects:
    merchant = people.headers("shop1")
    settings = {"return_address": RETURN_ADDRESS}
    _ok(await client.put(f"/shops/{people.shop1}/settings", json=settings, headers=merchant))
    order_id = await push(client, people, shipped=True, delivered=True)
    case_id = await open_case(client, people, order_id)
    photo = _ok(await upload(client, case_id, people.headers("buyer_a"), png(), name="seam.png"))
    exchange_order = await push(client, people, shipped=True, delivered=True)
    closed_order = await push(client, people, shipped=False, delivered=False)
    exception_case_id, sku = await oversold_case(client, people)
    feed_order_id = await push(client, people, shipped=False, delivered=False)
    return Objects(
        order_id=order_id,
        case_id=case_id,
        evidence_id=photo.json()["evidence_id"],
        exchange_case_id=await open_case(client, people, exchange_order, "exchange"),
        exception_case_id=exception_case_id,
        closed_case_id=await open_case(client, people, closed_order),
        feed_order_id=feed_order_id,
        tracking_no=await ship(client, feed_order_id, delivered=False),
        sku=sku,
        spare_order_id=new_id("order"),
    )


async def fresh_case(
    client: AsyncClient, people: People, world: Objects, kind: str = "refund_only", *, delivered: bool = True
) -> Objects:
    """A case of its own for a cell that changes its state, in `case_id` (and `exchange_case_id`)."""
    order_id = await push(client, people, shipped=True, delivered=delivered)
    case_id = await open_case(client, people, order_id, kind)
    return replace(world, order_id=order_id, case_id=case_id, exchange_case_id=case_id)


async def step(client: AsyncClient, people: People, case_id: str, role: str, **body: Any) -> None:
    """One action that brings a fresh case to the state the cell needs."""
    _ok(await act(client, case_id, people.headers(role), **body))


def _ok(response: Response) -> Response:
    assert response.is_success, f"{response.request.method} {response.request.url}: {response.text}"
    return response


async def snapshot(db: Sessions, people: People, world: Objects) -> dict[str, Any]:
    """Every row the world's objects own or a request on them could add, and what the cases' projections say (every
    step bumps a case's event count and `updated_at`): one query, as each of some 200 denied cells takes it twice."""
    orders = (world.order_id, world.feed_order_id, world.spare_order_id)
    case_ids = (world.case_id, world.exchange_case_id, world.exception_case_id, world.closed_case_id)
    world_case = col(Case.case_id).in_(case_ids)
    measures = {
        "orders": _count(Order, col(Order.order_id).in_(orders)),
        "cases": _count(Case, col(Case.order_id).in_(orders)),
        "shipments": _count(Shipment, col(Shipment.order_id).in_(orders)),
        "tracking": _count(TrackingEventRow, TrackingEventRow.tracking_no == world.tracking_no),
        "events": _count(CaseEvent, col(CaseEvent.case_id).in_(case_ids)),
        "evidence": _count(Evidence, col(Evidence.case_id).in_(case_ids)),
        "ledger": _count(LedgerEntry, col(LedgerEntry.case_id).in_(case_ids)),
        "notifications": _count(Notification, col(Notification.case_id).in_(case_ids)),
        "keys": _count(IdempotencyRecord),
        "steps": select(func.sum(Case.event_count)).where(world_case),
        "last step": select(func.max(Case.updated_at)).where(world_case),
        "open": _count(Case, world_case, col(Case.status).in_([s for s in CaseStatus if not s.is_final])),
        "stock": select(func.coalesce(func.sum(StockLevel.available), -1)).where(StockLevel.sku == world.sku),
        "return address": select(ShopSettings.return_address).where(ShopSettings.shop_id == people.shop1),
    }
    async with db() as session:
        values = (await session.exec(select(*(q.scalar_subquery().label(k) for k, q in measures.items())))).one()
    return dict(zip(measures, values, strict=True))


def _count(table: Any, *where: Any) -> Any:
    return select(func.count()).select_from(table).where(*where)
