"""IDEM-04 ★: twenty identical requests at once with one Idempotency-Key, over a real uvicorn with the real worker and
Temporal dev server, on every POST that takes a key (and the two PUTs, keyless, that must be the same state): each
takes effect once — one row, one event, one payment — and no twin gets a 5xx (tests/e2e/twins.py)."""

from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from devtools.stack import RunningService
from models.case import Case
from models.evidence import Evidence
from models.inventory import StockLevel
from models.ledger import LedgerEntry
from models.order import Order, Shipment, TrackingEventRow
from models.shop_settings import ShopSettings
from tests.api.evidence_helpers import png
from tests.api.helpers import order_body
from tests.e2e.twins import (
    AGENT,
    SYSTEM,
    Party,
    burst,
    burst_unkeyed,
    event_types,
    new_id,
    open_case,
    order,
    tracking,
)
from tests.support.payment_server import PaymentServer
from tests.support.remedy_servers import CourierServer, FulfilmentServer

pytestmark = pytest.mark.e2e
Sessions = async_sessionmaker[AsyncSession]
WAREHOUSE = {"warehouse_id": "w-sh", "location": {"province": "上海", "city": "上海"}}


async def count(sessions: Sessions, table: Any, *where: Any) -> int:
    async with sessions() as session:
        found: int = (await session.exec(select(func.count()).select_from(table).where(*where))).one()
        return found


async def ledger(sessions: Sessions, case_id: str) -> list[tuple[str, int]]:
    async with sessions() as session:
        rows = await session.exec(select(LedgerEntry).where(LedgerEntry.case_id == case_id))
        return sorted((str(r.kind), r.amount_cents) for r in rows.all())


async def act(http: httpx.AsyncClient, case_id: str, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    """One command sent twenty times at once: the case after it."""
    answer: dict[str, Any] = (await burst(http, "POST", f"/cases/{case_id}/actions", headers, json=body)).json()
    return answer


async def test_the_feeds_and_the_opening_each_take_effect_once(
    patient_service: RunningService, sessions: Sessions
) -> None:
    party, order_id, tracking_no = Party.new(), new_id("order"), new_id("SF")
    async with httpx.AsyncClient(base_url=patient_service.base_url, timeout=60) as http:
        body = order_body(order_id, party.buyer_id, party.shop_id)
        await burst(http, "POST", "/orders/check", party.buyer, json=body)
        await burst(http, "POST", "/orders", SYSTEM, json=body)
        parcel = {"carrier": "SF", "tracking_no": tracking_no}
        await burst(http, "POST", f"/orders/{order_id}/shipments", SYSTEM, json=parcel)
        event = {"tracking_no": tracking_no, "status": "delivered", "location": "上海", "at": "2026-11-29T08:00:00Z"}
        await burst(http, "POST", "/logistics/events", SYSTEM, json=event)
        opening = {"order_id": order_id, "kind": "refund_only", "reason": "quality_defect"}
        case = (await burst(http, "POST", "/cases", party.buyer, json=opening)).json()

    assert await count(sessions, Order, Order.order_id == order_id) == 1
    assert await count(sessions, Shipment, Shipment.order_id == order_id) == 1
    assert await count(sessions, TrackingEventRow, TrackingEventRow.tracking_no == tracking_no) == 1
    assert await count(sessions, Case, Case.order_id == order_id) == 1
    assert case["status"] == "awaiting_merchant"


async def test_commands_on_an_open_case_each_record_one_event(
    patient_service: RunningService, sessions: Sessions
) -> None:
    party = Party.new()
    async with httpx.AsyncClient(base_url=patient_service.base_url, timeout=60) as http:
        case_id = await open_case(http, party, await order(http, party))
        await act(http, case_id, party.buyer, action="message", text="请尽快处理")
        await act(http, case_id, party.merchant, action="extend", duration="24h", reason="等待仓库核实")
        files = {"file": ("seam.png", png(), "image/png")}
        path = f"/cases/{case_id}/evidence"
        await burst(http, "POST", path, party.buyer, files=files, data={"kind": "photo"})
        reassign = {"to_agent_id": "agent-2", "reason": "交接"}
        await burst(http, "POST", f"/agent/cases/{case_id}/reassign", AGENT, json=reassign)
        asked = await act(http, case_id, party.merchant, action="request_evidence", **{"from": "buyer"}, what="近照")
        types = await event_types(http, case_id)

    assert asked["status"] == "awaiting_buyer"
    once = ("message", "deadline_extended", "evidence_added", "reassigned", "evidence_requested")
    assert {t: types[t] for t in once} == dict.fromkeys(once, 1), types
    assert await count(sessions, Evidence, Evidence.case_id == case_id, Evidence.kind == "photo") == 1


async def test_each_answer_of_a_merchant_buyer_or_agent_moves_money_once(
    patient_service: RunningService, payment_server: PaymentServer, sessions: Sessions
) -> None:
    party = Party.new()
    async with httpx.AsyncClient(base_url=patient_service.base_url, timeout=60) as http:
        approved, proposed, rejected, declined, withdrawn = [
            await open_case(http, party, await order(http, party)) for _ in range(5)
        ]
        assert (await act(http, approved, party.merchant, action="approve"))["status"] == "resolved"
        offer = {"action": "propose", "outcome": "partial_refund", "amount_cents": 2000, "message": "补偿20元"}
        await act(http, proposed, party.merchant, **offer)
        assert (await act(http, proposed, party.buyer, action="accept_proposal"))["status"] == "resolved"
        await act(http, rejected, party.merchant, action="reject", reason="吊牌已拆")
        await act(http, rejected, party.buyer, action="escalate", reason="协商不成")
        decided = await act(http, rejected, AGENT, action="decide", outcome="refund", rationale="质量问题")
        await act(http, declined, party.merchant, **offer)
        assert (await act(http, declined, party.buyer, action="decline_proposal"))["status"] == "in_arbitration"
        assert (await act(http, withdrawn, party.buyer, action="withdraw"))["status"] == "withdrawn"
        types = {case_id: await event_types(http, case_id) for case_id in (proposed, rejected, declined, withdrawn)}

    assert decided["status"] == "resolved"
    for case_id, cents in ((approved, 9900), (proposed, 2000), (rejected, 9900)):
        assert await ledger(sessions, case_id) == [("refund", cents)]
        assert len(payment_server.payments_for(f"case-{case_id}:refund:1")) == 1
    assert (types[proposed]["proposal_made"], types[proposed]["proposal_accepted"]) == (1, 1)
    assert (types[rejected]["merchant_rejected"], types[rejected]["escalated"]) == (1, 1)
    assert (types[declined]["proposal_made"], types[declined]["proposal_declined"]) == (1, 1)
    assert types[withdrawn]["withdrawn"] == 1


async def test_goods_going_back_and_forth_move_once(
    patient_service: RunningService, fulfilment_server: FulfilmentServer, sessions: Sessions
) -> None:
    party, sku, returned, replacement = Party.new(), new_id("sku"), new_id("SFR"), new_id("SFX")
    fulfilment_server.stock[sku] = {"WH-SH": 5}  # the replacement is in stock
    async with httpx.AsyncClient(base_url=patient_service.base_url, timeout=60) as http:
        case_id = await open_case(http, party, await order(http, party, sku=sku), "exchange")
        await act(http, case_id, party.merchant, action="approve", return_address="杭州退货仓")
        await act(http, case_id, party.buyer, action="ship_return", carrier="SF", tracking_no=returned)
        event = {"tracking_no": returned, "status": "delivered", "location": "杭州", "at": "2026-11-29T09:00:00Z"}
        await burst(http, "POST", "/logistics/events", SYSTEM, json=event)
        await act(http, case_id, party.merchant, action="confirm_receipt", condition_ok=True)
        shipped = await act(
            http, case_id, party.merchant, action="ship_replacement", carrier="SF", tracking_no=replacement
        )
        types = await event_types(http, case_id)

    assert shipped["status"] == "replacement_in_transit"
    once = ("merchant_approved", "tracking_event", "receipt_confirmed")
    assert {t: types[t] for t in once} == dict.fromkeys(once, 1), types
    for parcel in (returned, replacement):
        assert await count(sessions, Shipment, Shipment.tracking_no == parcel, Shipment.case_id == case_id) == 1


async def test_an_override_a_remedy_an_interception_and_the_puts_take_effect_once(
    patient_service: RunningService, courier_server: CourierServer, sessions: Sessions
) -> None:
    party, sku = Party.new(), new_id("sku")
    async with httpx.AsyncClient(base_url=patient_service.base_url, timeout=60) as http:
        closed = await open_case(http, party, await order(http, party, shipped=False))  # refunded at once
        override = {"outcome": "reject", "rationale": "线下已退"}
        assert (await burst(http, "POST", f"/agent/cases/{closed}/override", AGENT, json=override)).is_success

        locked = await order(http, party, sku=sku, shipped=False)
        stock = {"warehouses": [{**WAREHOUSE, "available": 0}]}
        puts = await burst_unkeyed(http, "PUT", f"/inventory/{sku}", SYSTEM, json=stock)
        [oversold] = {case for put in puts for case in put.json()["oversold_case_ids"]}
        remedy = {"resolution": "recommend_similar_refund_difference", "amount_cents": 1000}
        await act(http, oversold, party.merchant, action="resolve", **remedy)

        in_transit = await order_in_transit(http, party)
        intercepted = await act(http, await open_case(http, party, in_transit), party.merchant, action="intercept")

        address = {"return_address": "杭州退货仓"}
        await burst_unkeyed(http, "PUT", f"/shops/{party.shop_id}/settings", party.merchant, json=address)
        types = {case_id: await event_types(http, case_id) for case_id in (closed, oversold, intercepted["case_id"])}

    assert await ledger(sessions, closed) == [("refund", 9900), ("reversal", 9900)]
    assert types[closed]["decision_overridden"] == 1
    assert await ledger(sessions, oversold) == [("refund", 1000)]
    assert await count(sessions, Case, Case.order_id == locked, Case.kind == "oversold") == 1
    assert await count(sessions, StockLevel, StockLevel.sku == sku) == 1
    assert types[intercepted["case_id"]]["intercept_requested"] == 1
    assert len(courier_server.effects_for(f"case-{intercepted['case_id']}:intercept:1")) == 1
    assert await count(sessions, ShopSettings, ShopSettings.shop_id == party.shop_id) == 1


async def order_in_transit(http: httpx.AsyncClient, party: Party) -> str:
    order_id = await order(http, party, shipped=False)
    tracking_no = new_id("SF")
    parcel = {"carrier": "SF", "tracking_no": tracking_no}
    assert (await http.post(f"/orders/{order_id}/shipments", json=parcel, headers=SYSTEM)).status_code == 201
    await tracking(http, tracking_no, "in_transit")
    return order_id
