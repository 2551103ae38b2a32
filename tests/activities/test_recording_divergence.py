"""The recorder takes a stored event for a step's own only if it is that event: a retried attempt is answered with
what it stored, a step of another run (a `temporal workflow reset`) numbered over stored events is refused, and the
run's note of the divergence puts one `timeline_diverged` event on the chain and hands the case to an agent."""

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.exceptions import ApplicationError
from temporalio.runtime import MetricBuffer, Runtime, TelemetryConfig

from activities.counters import CaseCounters
from activities.recording import CaseRecorder
from models.case import Case
from models.notification import Notification
from models.timeline import CaseEvent, verify_chain
from models.types import utcnow
from rulebook.enums import CaseStatus, Party, Role
from tests.builders import add_case, add_order
from workflows.divergence import TIMELINE_DIVERGED, DivergenceNote, DivergenceRecorded
from workflows.messages import PLATFORM_ID, EventDraft, Projection, StepRecord

Sessions = async_sessionmaker[AsyncSession]


def step(
    case_id: str, first_seq: int, *drafts: EventDraft, status: CaseStatus = CaseStatus.AWAITING_MERCHANT
) -> StepRecord:
    at = drafts[-1].at
    awaiting = None if status.is_final else Party.MERCHANT
    deadline = None if status.is_final else at + timedelta(hours=24)
    return StepRecord(case_id, first_seq, drafts, Projection(status, awaiting, deadline, None, None, False, at))


def opened(case: Case) -> EventDraft:
    at = utcnow()
    data = {
        "amount_cents": case.amount_cents,
        "order_id": case.order_id,
        "deadline": (at + timedelta(hours=24)).isoformat(),
    }
    return EventDraft("case_opened", Role.BUYER, case.buyer_id, at, data)


def decided(outcome: str, amount_cents: int, by: Role = Role.MERCHANT, actor: str = "shop-1") -> EventDraft:
    return EventDraft(
        "decision_made",
        by,
        actor,
        utcnow(),
        {
            "outcome": outcome,
            "amount_cents": amount_cents,
            "rationale_zh": "商家同意",
            "rationale_en": "the merchant agreed",
        },
    )


async def timeline(sessions: Sessions, case_id: str) -> tuple[Case, list[CaseEvent]]:
    async with sessions() as session:
        row = await session.get(Case, case_id)
        query = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(col(CaseEvent.seq))
        events = list((await session.exec(query)).all())
    assert row is not None
    return row, events


def counted(buffer: MetricBuffer) -> Counter[tuple[str, frozenset[tuple[str, object]]]]:
    totals: Counter[tuple[str, frozenset[tuple[str, object]]]] = Counter()
    for update in buffer.retrieve_updates():
        totals[(update.metric.name, frozenset(update.attributes.items()))] += update.value
    return totals


async def test_a_retried_step_is_answered_with_the_events_it_stored(sessions: Sessions) -> None:
    case = await add_case(sessions, await add_order(sessions))
    recorder = CaseRecorder(sessions)
    first = step(case.case_id, 1, opened(case))
    second = step(
        case.case_id,
        2,
        decided("partial_refund", 3000),
        EventDraft("case_closed", Role.SYSTEM, PLATFORM_ID, utcnow(), {"status": "resolved"}),
        status=CaseStatus.RESOLVED,
    )

    hashes = [await recorder.record_step(first), await recorder.record_step(second)]
    again = [await recorder.record_step(first), await recorder.record_step(second)]

    row, events = await timeline(sessions, case.case_id)
    assert again == hashes == [[events[0].hash], [events[1].hash, events[2].hash]]
    assert (row.event_count, row.head_hash, row.status) == (3, events[-1].hash, CaseStatus.RESOLVED)


async def test_a_step_of_another_run_over_stored_events_is_refused_with_the_stored_head(sessions: Sessions) -> None:
    """The tester's case: closed with an accepted 3 000 partial refund; a reset run numbers its merchant's approval
    where the old decision is stored. The old timeline stays, nothing of the new step is stored, and it is counted."""
    case = await add_case(sessions, await add_order(sessions))
    buffer = MetricBuffer(100)
    meter = Runtime(telemetry=TelemetryConfig(metrics=buffer, attach_service_name=False)).metric_meter
    recorder = CaseRecorder(sessions, CaseCounters(meter))
    await recorder.record_step(step(case.case_id, 1, opened(case)))
    closed = EventDraft("case_closed", Role.SYSTEM, PLATFORM_ID, utcnow(), {"status": "resolved"})
    await recorder.record_step(
        step(case.case_id, 2, decided("partial_refund", 3000), closed, status=CaseStatus.RESOLVED)
    )
    row_before, events_before = await timeline(sessions, case.case_id)
    counted(buffer)  # what the steps themselves counted

    approval = step(
        case.case_id, 2, EventDraft("merchant_approved", Role.MERCHANT, "shop-1", utcnow(), {}), decided("refund", 6900)
    )
    same_type_other_data = step(
        case.case_id,
        3,
        EventDraft("case_closed", Role.SYSTEM, PLATFORM_ID, closed.at, {"status": "rejected"}),
        status=CaseStatus.REJECTED,
    )
    for refused in (approval, same_type_other_data):
        with pytest.raises(ApplicationError) as raised:
            await recorder.record_step(refused)
        assert raised.value.type == TIMELINE_DIVERGED
        assert raised.value.non_retryable
        assert list(raised.value.details) == [
            {"stored_events": 3, "head_hash": events_before[-1].hash, "first_seq": refused.first_seq}
        ]

    row, events = await timeline(sessions, case.case_id)
    assert [e.type for e in events] == ["case_opened", "decision_made", "case_closed"]
    assert [e.hash for e in events] == [e.hash for e in events_before]
    assert (row.status, row.event_count, row.head_hash) == (CaseStatus.RESOLVED, 3, row_before.head_hash)
    assert verify_chain(events, row.head_hash, row.event_count).valid
    assert counted(buffer) == {("aftersales_timeline_divergences", frozenset({("kind", str(case.kind))})): 2}


async def test_a_step_running_past_the_head_after_matching_events_is_refused_only_where_it_differs(
    sessions: Sessions,
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    recorder = CaseRecorder(sessions)
    first = opened(case)
    await recorder.record_step(step(case.case_id, 1, first))
    message = EventDraft("message", Role.BUYER, case.buyer_id, utcnow(), {"text": "在吗"})

    answered = await recorder.record_step(step(case.case_id, 1, first, message))  # a retry that also ran on

    row, events = await timeline(sessions, case.case_id)
    assert answered == [e.hash for e in events] and row.event_count == 2
    other_actor = EventDraft("message", Role.BUYER, "buyer-2", message.at, message.data)
    with pytest.raises(ApplicationError) as raised:
        await recorder.record_step(step(case.case_id, 1, first, other_actor))
    assert raised.value.type == TIMELINE_DIVERGED


async def test_the_run_s_divergence_is_stored_once_at_the_head_and_hands_the_case_to_an_agent(
    sessions: Sessions,
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    recorder = CaseRecorder(sessions)
    await recorder.record_step(step(case.case_id, 1, opened(case)))
    closed = EventDraft("case_closed", Role.SYSTEM, PLATFORM_ID, utcnow(), {"status": "resolved"})
    await recorder.record_step(
        step(case.case_id, 2, decided("partial_refund", 3000), closed, status=CaseStatus.RESOLVED)
    )
    at = utcnow()
    note = DivergenceNote(case.case_id, "run-b", 2, ("merchant_approved", "decision_made"), at, at + timedelta(hours=4))

    recorded = await recorder.record_divergence(note)
    again = await recorder.record_divergence(note)  # a retried attempt, or the run noting it twice

    row, events = await timeline(sessions, case.case_id)
    assert recorded == again == DivergenceRecorded(4, events[-1].hash, tuple(e.hash for e in events[1:]))
    assert [e.type for e in events] == ["case_opened", "decision_made", "case_closed", TIMELINE_DIVERGED]
    assert events[-1].data == {
        "run_id": "run-b",
        "first_seq": 2,
        "attempted": ["merchant_approved", "decision_made"],
        "stored_events": 3,
        "status_before": "resolved",
    }
    assert (events[-1].actor_role, events[-1].actor_id, events[-1].at) == (Role.SYSTEM, PLATFORM_ID, at)
    assert (row.status, row.awaiting, row.urgent, row.deadline) == (
        CaseStatus.IN_ARBITRATION,
        Party.AGENT,
        True,
        note.deadline,
    )
    assert (row.event_count, row.head_hash) == (4, events[-1].hash)
    assert verify_chain(events, row.head_hash, row.event_count).valid
    async with sessions() as session:
        told = select(Notification.recipient_role).where(
            Notification.case_id == case.case_id, Notification.event_seq == 4
        )
        assert list((await session.exec(told)).all()) == [Party.AGENT]

    # the run numbers on after the divergence; another step it attempts, noted, is a second event
    later = await recorder.record_divergence(DivergenceNote(case.case_id, "run-b", 5, ("message",), at, note.deadline))
    _, events = await timeline(sessions, case.case_id)
    assert later == DivergenceRecorded(5, events[-1].hash, (events[-1].hash,)) and len(events) == 5
