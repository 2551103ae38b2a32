"""The recording activity files the system evidence a step's events carry once, however often they cite it."""

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import ActivityEnvironment

from activities.recording import CaseRecorder
from models.evidence import Evidence
from models.types import utcnow
from rulebook.enums import CaseStatus, Party
from tests.builders import add_case, add_order
from workflows.messages import PLATFORM_ID, EventDraft, Projection, StepRecord
from workflows.system_evidence import item

Sessions = async_sessionmaker[AsyncSession]


def step(case_id: str, first_seq: int, *cited: list[dict[str, object]]) -> StepRecord:
    now = utcnow()
    events = tuple(EventDraft("message", "system", PLATFORM_ID, now, {"system_evidence": c}) for c in cited)
    projection = Projection(CaseStatus.AWAITING_MERCHANT, Party.MERCHANT, None, None, None, False, now)
    return StepRecord(case_id, first_seq, events, projection)


async def test_evidence_cited_twice_in_a_step_and_again_later_is_filed_once(sessions: Sessions) -> None:
    case = await add_case(sessions, await add_order(sessions))
    listing, tracking = item(case.case_id, "listing_snapshot", {"sku": "a"}), item(case.case_id, "tracking", {"n": 1})
    record = CaseRecorder(sessions).record_step
    env = ActivityEnvironment()

    opening = step(case.case_id, 1, [listing, tracking], [tracking])
    first = await env.run(record, opening)
    assert await env.run(record, opening) == first  # a retry: the same step, event for event
    later = await env.run(record, step(case.case_id, 3, [listing]))

    assert len(first) == 2 and len(later) == 1
    async with sessions() as session:
        filed = (await session.exec(select(Evidence.evidence_id).where(col(Evidence.case_id) == case.case_id))).all()
    assert sorted(filed) == sorted([listing["evidence_id"], tracking["evidence_id"]])
