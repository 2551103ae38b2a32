"""The agent's queue over HTTP: cases awaiting an agent, urgent first, then the soonest deadline, by pages."""

from datetime import UTC, datetime, timedelta

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from models.case import Case
from models.db import transaction
from rulebook.enums import Party, Role
from tests.api.helpers import AGENT, act, auth, open_case, push_order


async def test_the_queue_lists_cases_awaiting_an_agent_urgent_first_then_soonest_deadline_by_pages(
    client: AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    order = await push_order(client)
    waiting_merchant = (await open_case(client, order))["case_id"]
    escalated = []
    for _ in range(3):
        other = await push_order(client)
        case_id = (await open_case(client, other))["case_id"]
        assert (await act(client, case_id, other.merchant, action="escalate", reason="说不清")).status_code == 200
        escalated.append(case_id)
    soon = datetime.now(UTC) + timedelta(minutes=5)
    async with transaction(db) as session:  # one urgent case, one due sooner than the rest
        for case_id, urgent, deadline in ((escalated[2], True, None), (escalated[1], False, soon)):
            case = await session.get(Case, case_id)
            assert case is not None
            case.urgent, case.deadline = urgent, deadline or case.deadline
            session.add(case)

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/agent/queue", params=params, headers=AGENT)).json()
        seen += [c["case_id"] for c in page["items"]]
        assert all(c["awaiting"] == Party.AGENT for c in page["items"])
        if (cursor := page["next_cursor"]) is None:
            break

    mine = [case_id for case_id in seen if case_id in escalated]
    assert mine == [escalated[2], escalated[1], escalated[0]]
    assert waiting_merchant not in seen and len(seen) == len(set(seen))
    refused = await client.get("/agent/queue", headers=auth(Role.BUYER, order.buyer_id))
    assert refused.status_code == 403 and refused.json()["error"]["code"]
