"""The database refuses to change or remove a timeline event, whoever asks (AUDIT-04)."""

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.db import transaction
from models.timeline import CaseEvent
from models.types import utcnow
from tests.builders import add_case, add_order
from tests.support.tamper import unguarded

Sessions = async_sessionmaker[AsyncSession]


async def one_event(sessions: Sessions) -> str:
    case = await add_case(sessions, await add_order(sessions))
    async with transaction(sessions) as session:
        event = CaseEvent(
            case_id=case.case_id, seq=1, type="case_opened", actor_role="buyer", actor_id=case.buyer_id,
            at=utcnow(), data={"amount_cents": 9900}, prev_hash="0" * 64, hash="1" * 64,
        )  # fmt: skip
        session.add(event)
    return case.case_id


async def stored_data(sessions: Sessions, case_id: str) -> list[dict[str, object]]:
    async with sessions() as session:
        return [e.data for e in (await session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id))).all()]


async def test_an_event_cannot_be_changed(sessions: Sessions) -> None:
    case_id = await one_event(sessions)
    with pytest.raises(DBAPIError, match="append-only"):
        async with transaction(sessions) as session:
            await session.exec(update(CaseEvent).where(col(CaseEvent.case_id) == case_id).values(data={"x": 1}))
    assert await stored_data(sessions, case_id) == [{"amount_cents": 9900}]


async def test_an_event_cannot_be_removed(sessions: Sessions) -> None:
    case_id = await one_event(sessions)
    with pytest.raises(DBAPIError, match="append-only"):
        async with transaction(sessions) as session:
            await session.exec(delete(CaseEvent).where(col(CaseEvent.case_id) == case_id))
    assert len(await stored_data(sessions, case_id)) == 1


async def test_events_can_still_be_appended_and_the_guard_comes_back_after_tampering(sessions: Sessions) -> None:
    case_id = await one_event(sessions)
    async with unguarded(sessions) as session:
        await session.exec(update(CaseEvent).where(col(CaseEvent.case_id) == case_id).values(data={"x": 1}))
    assert await stored_data(sessions, case_id) == [{"x": 1}]
    with pytest.raises(DBAPIError, match="append-only"):
        async with transaction(sessions) as session:
            await session.exec(delete(CaseEvent).where(col(CaseEvent.case_id) == case_id))
