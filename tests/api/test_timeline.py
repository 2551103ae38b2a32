"""The timeline as served, and the chain check catching a changed row and a dropped tail (AUDIT-01..03)."""

import itertools

from httpx import AsyncClient
from sqlalchemy import delete, func, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.timeline import GENESIS, CaseEvent
from tests.api.helpers import open_case, push_order
from tests.support.tamper import unguarded

Sessions = async_sessionmaker[AsyncSession]
CLOSED_AT_ONCE = ["case_opened", "decision_made", "fulfilment_cancelled", "refund_executed", "case_closed"]


async def test_the_timeline_lists_every_event_chained_to_the_one_before(client: AsyncClient) -> None:
    order = await push_order(client, shipped=False)
    case = await open_case(client, order)

    response = await client.get(f"/cases/{case['case_id']}/timeline", headers=order.buyer)

    items = response.json()["items"]
    assert [e["type"] for e in items] == CLOSED_AT_ONCE
    assert [e["seq"] for e in items] == [1, 2, 3, 4, 5]
    assert set(items[0]) == {"seq", "type", "actor", "at", "data", "prev_hash", "hash"}
    assert items[0]["actor"] == {"role": "buyer", "id": order.buyer_id} and items[0]["prev_hash"] == GENESIS
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in itertools.pairwise(items))
    verified = await client.get(f"/cases/{case['case_id']}/verify", headers=order.merchant)
    assert verified.json() == {"valid": True, "events": 5}


async def test_a_changed_event_breaks_the_chain_where_it_was_changed(client: AsyncClient, db: Sessions) -> None:
    order = await push_order(client, shipped=False)
    case_id = (await open_case(client, order))["case_id"]
    async with unguarded(db) as session:
        tampered = update(CaseEvent).where(col(CaseEvent.case_id) == case_id, col(CaseEvent.seq) == 2)
        await session.exec(tampered.values(data={"outcome": "refund", "amount_cents": 1}))

    verified = await client.get(f"/cases/{case_id}/verify", headers=order.buyer)

    assert verified.status_code == 200
    assert verified.json() == {"valid": False, "events": 5, "broken_at": 2}


async def test_a_dropped_last_event_shows_against_the_head_kept_on_the_case(client: AsyncClient, db: Sessions) -> None:
    order = await push_order(client, shipped=False)
    case_id = (await open_case(client, order))["case_id"]
    async with unguarded(db) as session:
        last = (await session.exec(select(func.max(CaseEvent.seq)).where(CaseEvent.case_id == case_id))).one()
        await session.exec(delete(CaseEvent).where(col(CaseEvent.case_id) == case_id, col(CaseEvent.seq) == last))

    verified = await client.get(f"/cases/{case_id}/verify", headers=order.buyer)

    assert verified.json() == {"valid": False, "events": 4, "broken_at": 5}
