"""Decision packets are written once, like the timeline: the database refuses to change or remove one, whoever asks,
and on PostgreSQL the service's role may only read and insert them."""

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.db import transaction
from models.decision_packet import DecisionPacketRow
from models.types import utcnow
from tests.builders import add_case, add_order

Sessions = async_sessionmaker[AsyncSession]


async def one_packet(sessions: Sessions) -> str:
    case = await add_case(sessions, await add_order(sessions))
    async with transaction(sessions) as session:
        row = DecisionPacketRow(
            case_id=case.case_id, sha256="a" * 64, seq=2, event_type="decision_made", made_at=utcnow(), body="{}"
        )
        session.add(row)
    return case.case_id


async def bodies(sessions: Sessions, case_id: str) -> list[str]:
    async with sessions() as session:
        rows = await session.exec(select(DecisionPacketRow).where(DecisionPacketRow.case_id == case_id))
        return [row.body for row in rows.all()]


async def test_a_packet_cannot_be_changed_or_removed_even_by_the_owner(owner_sessions: Sessions) -> None:
    case_id = await one_packet(owner_sessions)
    where = col(DecisionPacketRow.case_id) == case_id
    for statement in (
        update(DecisionPacketRow).where(where).values(body='{"x":1}'),
        delete(DecisionPacketRow).where(where),
    ):
        with pytest.raises(DBAPIError, match="decision_packets is append-only"):
            async with transaction(owner_sessions) as session:
                await session.exec(statement)  # type: ignore[call-overload]
    assert await bodies(owner_sessions, case_id) == ["{}"]


@pytest.mark.parametrize(
    "statement", ["UPDATE decision_packets SET body = 'x'", "DELETE FROM decision_packets", "TRUNCATE decision_packets"]
)
async def test_the_services_role_may_only_read_and_insert_packets(
    sessions: Sessions, database_url: str, owner_url: str, statement: str
) -> None:
    if make_url(database_url).get_backend_name() != "postgresql" or database_url == owner_url:
        pytest.skip("needs PostgreSQL with a service role apart from the owner (make pytest-postgres)")
    case_id = await one_packet(sessions)
    with pytest.raises(DBAPIError, match=r"permission denied"):
        async with transaction(sessions) as session:
            await session.exec(text(statement))
    assert await bodies(sessions, case_id) == ["{}"]
