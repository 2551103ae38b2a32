"""The database refuses to change or remove a timeline event or a signed checkpoint, whoever asks (AUDIT-04): the
guards' triggers stop even the schema's owner, and on PostgreSQL the service's own role lacks the rights to try, or
to touch the guards."""

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.checkpoint import CaseCheckpoint, CheckpointKeys
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


async def one_checkpoint(sessions: Sessions) -> str:
    case_id = await one_event(sessions)
    async with transaction(sessions) as session:
        session.add(CheckpointKeys.development().sign(case_id, 1, "1" * 64, utcnow()))
    return case_id


async def stored_checkpoints(sessions: Sessions, case_id: str) -> list[tuple[int, str]]:
    async with sessions() as session:
        rows = await session.exec(select(CaseCheckpoint).where(CaseCheckpoint.case_id == case_id))
        return [(c.event_count, c.head_hash) for c in rows.all()]


async def stored_data(sessions: Sessions, case_id: str) -> list[dict[str, object]]:
    async with sessions() as session:
        return [e.data for e in (await session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id))).all()]


async def test_an_event_cannot_be_changed(owner_sessions: Sessions) -> None:
    case_id = await one_event(owner_sessions)
    with pytest.raises(DBAPIError, match="append-only"):
        async with transaction(owner_sessions) as session:
            await session.exec(update(CaseEvent).where(col(CaseEvent.case_id) == case_id).values(data={"x": 1}))
    assert await stored_data(owner_sessions, case_id) == [{"amount_cents": 9900}]


async def test_an_event_cannot_be_removed(owner_sessions: Sessions) -> None:
    case_id = await one_event(owner_sessions)
    with pytest.raises(DBAPIError, match="append-only"):
        async with transaction(owner_sessions) as session:
            await session.exec(delete(CaseEvent).where(col(CaseEvent.case_id) == case_id))
    assert len(await stored_data(owner_sessions, case_id)) == 1


async def test_events_can_still_be_appended_and_the_guard_comes_back_after_tampering(
    sessions: Sessions, owner_sessions: Sessions
) -> None:
    case_id = await one_event(sessions)
    async with unguarded(owner_sessions) as session:
        await session.exec(update(CaseEvent).where(col(CaseEvent.case_id) == case_id).values(data={"x": 1}))
    assert await stored_data(sessions, case_id) == [{"x": 1}]
    with pytest.raises(DBAPIError, match="append-only"):
        async with transaction(owner_sessions) as session:
            await session.exec(delete(CaseEvent).where(col(CaseEvent.case_id) == case_id))


async def test_a_checkpoint_cannot_be_changed_or_removed(owner_sessions: Sessions) -> None:
    case_id = await one_checkpoint(owner_sessions)
    query = select(CaseCheckpoint).where(CaseCheckpoint.case_id == case_id)
    for statement in (update(CaseCheckpoint).values(event_count=9), delete(CaseCheckpoint)):
        with pytest.raises(DBAPIError, match="case_checkpoints is append-only"):
            async with transaction(owner_sessions) as session:
                assert (await session.exec(query)).one()
                await session.exec(statement.where(col(CaseCheckpoint.case_id) == case_id))
    assert await stored_checkpoints(owner_sessions, case_id) == [(1, "1" * 64)]


SERVICE_MAY_NOT = [
    "UPDATE case_events SET type = 'x'",
    "DELETE FROM case_events",
    "TRUNCATE case_events",
    "ALTER TABLE case_events DISABLE TRIGGER ALL",
    "DROP TRIGGER case_events_append_only ON case_events",
    "DROP TABLE case_events",
    "UPDATE case_checkpoints SET head_hash = 'x'",
    "DELETE FROM case_checkpoints",
    "TRUNCATE case_checkpoints",
    "ALTER TABLE case_checkpoints DISABLE TRIGGER ALL",
    "DROP TRIGGER case_checkpoints_append_only ON case_checkpoints",
    "DROP TABLE case_checkpoints",
]


@pytest.mark.parametrize("statement", SERVICE_MAY_NOT)
async def test_the_services_role_may_not_rewrite_the_timeline_nor_touch_its_guard(
    sessions: Sessions, database_url: str, owner_url: str, statement: str
) -> None:
    """On PostgreSQL with the least-privilege roles (`make test` sets them up): permission denied, whatever the
    service's own connection tries; TRUNCATE and DISABLE TRIGGER, which row triggers cannot stop, included."""
    if make_url(database_url).get_backend_name() != "postgresql" or database_url == owner_url:
        pytest.skip("needs PostgreSQL with a service role apart from the owner (make pytest-postgres)")
    case_id = await one_checkpoint(sessions)
    with pytest.raises(DBAPIError, match=r"permission denied|must be owner"):
        async with transaction(sessions) as session:
            await session.exec(text(statement))
    assert await stored_data(sessions, case_id) == [{"amount_cents": 9900}]
    assert await stored_checkpoints(sessions, case_id) == [(1, "1" * 64)]
    async with sessions() as session:
        superuser = (await session.exec(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))).one()
    assert superuser == (False,)
