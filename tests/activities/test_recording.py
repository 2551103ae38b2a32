"""AUDIT-05 ★ at the database: fifty steps of one case recorded at once, each by two racing attempts (an activity runs
at least once; a timed-out attempt may still be writing when its retry starts), each attempt retried as Temporal
retries one. The timeline ends contiguous and as one chain — no seq twice, no gap, no fork — and verifies."""

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.exceptions import ApplicationError

from activities.recording import CaseRecorder
from models.case import Case
from models.notification import Notification
from models.timeline import GENESIS, CaseEvent, event_hash, verify_chain
from models.types import utcnow
from rulebook.enums import CaseStatus, Party, Role
from tests.builders import add_case, add_order
from workflows.messages import EventDraft, Projection, StepRecord

Sessions = async_sessionmaker[AsyncSession]
STEPS = 50
ATTEMPTS = 2  # of each step, racing


def step(case_id: str, seq: int) -> StepRecord:
    at = utcnow()
    draft = EventDraft("message", Role.BUYER, "buyer-1", at, {"text": f"第{seq}条"})
    projection = Projection(
        CaseStatus.AWAITING_MERCHANT, Party.MERCHANT, at + timedelta(hours=24), None, None, False, at
    )
    return StepRecord(case_id, seq, (draft,), projection)


async def attempt(recorder: CaseRecorder, record: StepRecord, stored: dict[int, asyncio.Event]) -> list[str]:
    """One attempt of a step, retried until it answers: after a retryable failure (a write conflict) at once, after
    a gap (the step before is not stored yet: the workflow would not have sent this one) once that step is in."""
    while True:
        try:
            hashes = await recorder.record_step(record)
        except ApplicationError as error:
            assert "gap" in str(error), error
            await stored[record.first_seq - 1].wait()
            continue
        except Exception:  # the database refused a racing write: the activity's retry policy tries again
            await asyncio.sleep(0.01)
            continue
        stored[record.first_seq].set()
        return hashes


async def test_fifty_steps_recorded_at_once_by_racing_attempts_make_one_contiguous_chain(sessions: Sessions) -> None:
    case = await add_case(sessions, await add_order(sessions))
    recorder = CaseRecorder(sessions)
    steps = [step(case.case_id, seq) for seq in range(1, STEPS + 1)]
    stored = {seq: asyncio.Event() for seq in range(STEPS + 1)}
    stored[0].set()

    answers = await asyncio.gather(*(attempt(recorder, s, stored) for s in steps for _ in range(ATTEMPTS)))

    async with sessions() as session:
        query = select(CaseEvent).where(CaseEvent.case_id == case.case_id).order_by(col(CaseEvent.seq))
        events = list((await session.exec(query)).all())
        row = await session.get(Case, case.case_id)
        notified = await session.exec(select(Notification.event_seq).where(Notification.case_id == case.case_id))
        notices = sorted(notified.all())
    assert row is not None
    assert [e.seq for e in events] == list(range(1, STEPS + 1))
    assert [e.data["text"] for e in events] == [f"第{seq}条" for seq in range(1, STEPS + 1)]
    assert [e.prev_hash for e in events] == [GENESIS] + [e.hash for e in events[:-1]]  # one chain, no fork
    assert all(event_hash(e) == e.hash for e in events)
    assert [answers[i * ATTEMPTS : (i + 1) * ATTEMPTS] for i in range(STEPS)] == [[[e.hash]] * ATTEMPTS for e in events]
    assert (row.event_count, row.head_hash) == (STEPS, events[-1].hash)
    assert verify_chain(events, row.head_hash, row.event_count).valid
    assert notices == list(range(1, STEPS + 1))  # each event's message to the merchant queued once
