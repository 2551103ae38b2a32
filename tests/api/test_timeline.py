"""The timeline as served, and the chain check catching a changed row, a dropped tail, and what a rewrite of the
whole database hides but the anchor in Temporal's record of the case does not (AUDIT-01..03): changed,
deleted, reordered, truncated, rewritten. The signed checkpoints, the other witness, are tested in
test_signed_checkpoints.py."""

import itertools
from datetime import datetime
from typing import Any

from httpx import AsyncClient
from sqlalchemy import delete, func, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.case import Case
from models.timeline import GENESIS, CaseEvent, canonical, chain_hash
from tests.api.helpers import open_case, push_order
from tests.support.tamper import unguarded

Sessions = async_sessionmaker[AsyncSession]
CLOSED_AT_ONCE = ["case_opened", "decision_made", "fulfilment_cancelled", "refund_executed", "case_closed"]
SIGNED_AT_CLOSE = {"events": 5, "kid": "test"}  # the newest checkpoint of a case closed at once, its time apart


async def verified(client: AsyncClient, case_id: str, headers: dict[str, str]) -> dict[str, Any]:
    """`/verify`'s answer, the time of its checkpoint checked and left out."""
    response = await client.get(f"/cases/{case_id}/verify", headers=headers)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    if "checkpoint" in body:
        assert datetime.fromisoformat(body["checkpoint"].pop("at")).tzinfo is not None
    return body


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
    assert await verified(client, case["case_id"], order.merchant) == {
        "valid": True,
        "events": 5,
        "anchored": True,
        "checkpoint": SIGNED_AT_CLOSE,
    }


async def test_a_changed_event_breaks_the_chain_where_it_was_changed(
    client: AsyncClient, owner_sessions: Sessions
) -> None:
    order = await push_order(client, shipped=False)
    case_id = (await open_case(client, order))["case_id"]
    async with unguarded(owner_sessions) as session:
        tampered = update(CaseEvent).where(col(CaseEvent.case_id) == case_id, col(CaseEvent.seq) == 2)
        await session.exec(tampered.values(data={"outcome": "refund", "amount_cents": 1}))

    assert await verified(client, case_id, order.buyer) == {
        "valid": False,
        "events": 5,
        "broken_at": 2,
        "finding": "changed",
        "reason": "changed",
        "anchored": True,
        "checkpoint": SIGNED_AT_CLOSE,
    }


async def test_a_dropped_last_event_shows_against_the_head_kept_on_the_case(
    client: AsyncClient, owner_sessions: Sessions
) -> None:
    order = await push_order(client, shipped=False)
    case_id = (await open_case(client, order))["case_id"]
    async with unguarded(owner_sessions) as session:
        last = (await session.exec(select(func.max(CaseEvent.seq)).where(CaseEvent.case_id == case_id))).one()
        await session.exec(delete(CaseEvent).where(col(CaseEvent.case_id) == case_id, col(CaseEvent.seq) == last))

    assert await verified(client, case_id, order.buyer) == {
        "valid": False,
        "events": 4,
        "broken_at": 5,
        "finding": "truncated",
        "reason": "truncated",
        "anchored": True,
        "checkpoint": SIGNED_AT_CLOSE,
    }


async def test_an_event_deleted_from_the_middle_breaks_the_chain_there(
    client: AsyncClient, owner_sessions: Sessions
) -> None:
    order = await push_order(client, shipped=False)
    case_id = (await open_case(client, order))["case_id"]
    async with unguarded(owner_sessions) as session:
        await session.exec(delete(CaseEvent).where(col(CaseEvent.case_id) == case_id, col(CaseEvent.seq) == 3))

    assert await verified(client, case_id, order.buyer) == {
        "valid": False,
        "events": 4,
        "broken_at": 3,
        "finding": "deleted_or_reordered",
        "reason": "deleted or reordered",
        "anchored": True,
        "checkpoint": SIGNED_AT_CLOSE,
    }


async def test_two_events_swapped_break_the_chain_at_the_first_of_them(
    client: AsyncClient, owner_sessions: Sessions
) -> None:
    order = await push_order(client, shipped=False)
    case_id = (await open_case(client, order))["case_id"]
    async with unguarded(owner_sessions) as session:
        for old, new in ((2, 1000), (3, 2), (1000, 3)):  # through a free number: (case_id, seq) is unique
            await session.exec(
                update(CaseEvent).where(col(CaseEvent.case_id) == case_id, col(CaseEvent.seq) == old).values(seq=new)
            )

    assert await verified(client, case_id, order.buyer) == {
        "valid": False,
        "events": 5,
        "broken_at": 2,
        "finding": "deleted_or_reordered",
        "reason": "deleted or reordered",
        "anchored": True,
        "checkpoint": SIGNED_AT_CLOSE,
    }


async def rewrite(session: AsyncSession, case_id: str, keep: int, change: dict[int, dict[str, object]]) -> None:
    """What an attacker who owns the database does: keep the first `keep` events, change some, recompute every
    hash from genesis, and move the head on the case to match, so the database alone vouches for the result."""
    rows = await session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(col(CaseEvent.seq)))
    events = list(rows.all())
    await session.exec(delete(CaseEvent).where(col(CaseEvent.case_id) == case_id))
    await session.flush()
    prev = GENESIS
    for event in events[:keep]:
        data = {**event.data, **change.get(event.seq, {})}
        body = canonical(case_id, event.seq, event.type, event.actor_role, event.actor_id, event.at, data)
        digest = chain_hash(prev, body)
        session.add(
            CaseEvent(
                case_id=case_id,
                seq=event.seq,
                type=event.type,
                actor_role=event.actor_role,
                actor_id=event.actor_id,
                at=event.at,
                data=data,
                prev_hash=prev,
                hash=digest,
            )
        )
        prev = digest
    await session.exec(
        update(Case).where(col(Case.case_id) == case_id).values(head_hash=prev, event_count=min(keep, len(events)))
    )


async def test_a_truncated_chain_with_its_head_moved_back_shows_against_the_anchor(
    client: AsyncClient, owner_sessions: Sessions
) -> None:
    order = await push_order(client, shipped=False)
    case_id = (await open_case(client, order))["case_id"]
    async with unguarded(owner_sessions) as session:
        await rewrite(session, case_id, keep=2, change={})

    assert await verified(client, case_id, order.buyer) == {
        "valid": False,
        "events": 2,
        "broken_at": 3,
        "finding": "truncated",
        "reason": "truncated",
        "anchored": True,
        "checkpoint": SIGNED_AT_CLOSE,
    }


async def test_a_fully_rewritten_chain_shows_where_the_rewrite_begins(
    client: AsyncClient, owner_sessions: Sessions
) -> None:
    order = await push_order(client, shipped=False)
    case_id = (await open_case(client, order))["case_id"]
    refund_seq = CLOSED_AT_ONCE.index("refund_executed") + 1
    async with unguarded(owner_sessions) as session:
        await rewrite(session, case_id, keep=5, change={refund_seq: {"amount_cents": 99}})

    assert await verified(client, case_id, order.buyer) == {
        "valid": False,
        "events": 5,
        "broken_at": refund_seq,
        "finding": "rewritten",
        "reason": "rewritten",
        "anchored": True,
        "checkpoint": SIGNED_AT_CLOSE,
    }
