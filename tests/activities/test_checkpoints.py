"""Every transaction that appends to a case's chain stores a checkpoint of the new head, signed with the keys it was
given: a recorded step, a reset run's divergence, a closing from outside the flow and a repair left open. A retried
step that appends nothing signs nothing more."""

import base64
from datetime import timedelta

from sqlmodel import col, select

from activities.closing import close, leave_open
from activities.recording import CaseRecorder
from models.case import Case
from models.checkpoint import CaseCheckpoint, CheckpointKeys
from models.types import utcnow
from rulebook.enums import Role
from tests.activities.test_recording_divergence import Sessions, decided, opened, step
from tests.builders import add_case, add_order
from workflows.divergence import DivergenceNote
from workflows.messages import EventDraft

KEYS = CheckpointKeys.parse("k1:" + base64.b64encode(b"k" * 32).decode())


async def heads(sessions: Sessions, case_id: str) -> tuple[list[tuple[int, str]], str]:
    """Each checkpoint's (events, head), oldest first, all checked under KEYS; and the head on the case."""
    async with sessions() as session:
        query = select(CaseCheckpoint).where(CaseCheckpoint.case_id == case_id).order_by(col(CaseCheckpoint.id))
        stored = list((await session.exec(query)).all())
        case = await session.get(Case, case_id)
    assert case is not None
    assert [(c.kid, KEYS.check(c)) for c in stored] == [("k1", "valid")] * len(stored)
    return [(c.event_count, c.head_hash) for c in stored], case.head_hash


async def test_each_step_and_the_divergence_of_a_reset_run_sign_the_head_they_leave(sessions: Sessions) -> None:
    case = await add_case(sessions, await add_order(sessions))
    recorder = CaseRecorder(sessions, checkpoint_keys=KEYS)
    first = step(case.case_id, 1, opened(case))
    await recorder.record_step(first)
    await recorder.record_step(step(case.case_id, 2, decided("refund", 9900)))
    await recorder.record_step(first)  # a retried attempt: nothing appended, nothing signed
    at = utcnow()
    await recorder.record_divergence(DivergenceNote(case.case_id, "run-b", 2, ("x",), at, at + timedelta(hours=4)))

    signed, head = await heads(sessions, case.case_id)

    assert [events for events, _ in signed] == [1, 2, 3]
    assert signed[-1][1] == head


async def test_closing_from_outside_the_flow_and_a_repair_left_open_sign_their_event(sessions: Sessions) -> None:
    left = await add_case(sessions, await add_order(sessions))
    closed = await add_case(sessions, await add_order(sessions))
    for case in (left, closed):
        await CaseRecorder(sessions, checkpoint_keys=KEYS).record_step(step(case.case_id, 1, opened(case)))

    assert await leave_open(sessions, KEYS, left.case_id, "completed", utcnow())
    draft = EventDraft("case_cancelled", Role.AGENT, "agent-1", utcnow(), {"by": "agent-1", "reason": "test"})
    assert (await close(sessions, KEYS, closed.case_id, draft))[1]

    for case in (left, closed):
        signed, head = await heads(sessions, case.case_id)
        assert signed[-1] == (2, head) and len(signed) == 2
