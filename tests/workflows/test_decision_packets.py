"""Every decision the case workflow makes leaves a packet anyone can re-check: stored write-once beside its event,
its SHA-256 on the hash chain, and re-derived by the rule book as `same` (rulebook/packets.py, rulebook/recheck.py)."""

import dataclasses
import json
from datetime import timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import WorkflowEnvironment

from models.db import transaction
from models.decision_packet import DecisionPacketRow
from models.evidence import Evidence
from models.timeline import CaseEvent
from rulebook import packets, recheck
from rulebook.enums import Action, CaseKind, CaseStatus, EvidenceKind, Outcome, ReasonCode, Resolution, Role
from rulebook.facts import Thresholds
from tests.builders import add_case, add_order
from tests.support.polling import eventually
from tests.workflows.support import merchant, start, stored
from tests.workflows.test_exceptions import stalled_order
from workflows.agent_desk import Override
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest, CaseInput, EvidenceAdded

Sessions = async_sessionmaker[AsyncSession]
DECISIONS = ("decision_made", "decision_overridden")


async def rechecked(sessions: Sessions, case_id: str) -> list[tuple[str, recheck.Verdict, dict[str, object]]]:
    """Each decision event of the case with its stored packet re-checked; asserts the packet is the one the chain
    names, stored as its canonical bytes."""
    async with sessions() as session:
        events = (
            await session.exec(
                select(CaseEvent)
                .where(CaseEvent.case_id == case_id, col(CaseEvent.type).in_(DECISIONS))
                .order_by(col(CaseEvent.seq))
            )
        ).all()
        rows = {
            r.sha256: r
            for r in (await session.exec(select(DecisionPacketRow).where(DecisionPacketRow.case_id == case_id))).all()
        }
    found = []
    for event in events:
        sha = event.data["packet_sha256"]
        row = rows[sha]
        packet = json.loads(row.body)
        assert packets.canonical(packet).decode("utf-8") == row.body
        assert packets.sha256(packet) == sha and (row.seq, row.event_type) == (event.seq, event.type)
        assert packet["case_id"] == case_id and packet["decision"]["outcome"] == event.data["outcome"]
        found.append((event.type, recheck.recheck(packet, sha), packet))
    assert len(rows) == len(events)
    return found


def all_same(found: list[tuple[str, recheck.Verdict, dict[str, object]]]) -> None:
    for _, verdict, _packet in found:
        assert verdict.code == recheck.SAME, verdict.lines
        assert verdict.lines[-1] == "same"


async def test_a_refund_on_open_and_its_override_both_recheck(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions, shipped=False, delivered=False))
    handle = await start(time_skipping_env, task_queue, case)
    await eventually(lambda: stored(sessions, case.case_id), lambda c: c.status == CaseStatus.RESOLVED)
    await handle.execute_update(CaseWorkflow.override, Override("agent-1", Outcome.REJECT, "订单已线下退款"))

    found = await rechecked(sessions, case.case_id)
    all_same(found)
    (made, _, platform), (overridden, ruling, person) = found
    assert (made, platform["decided_by"], platform["entry_point"]) == ("decision_made", "rules", packets.ON_OPEN)
    assert platform["by"] == {"role": "system", "actor_id": "platform"}
    assert (overridden, person["decided_by"], person["by"]) == (
        "decision_overridden",
        "person",
        {"role": "agent", "actor_id": "agent-1"},
    )
    assert any(line.startswith("decided by a person (agent agent-1): reject") for line in ruling.lines)
    assert person["extra"]["previous"]["outcome"] == "refund"  # type: ignore[index]


async def test_r_timeout_then_an_agents_ruling_recheck_and_the_ruling_shows_the_rules_beside_it(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    handle = await start(time_skipping_env, task_queue, case)
    await time_skipping_env.sleep(timedelta(hours=25))
    await eventually(lambda: stored(sessions, case.case_id), lambda c: c.status == CaseStatus.IN_ARBITRATION)
    decide = ActionRequest(Action.DECIDE, Role.AGENT, "agent-1", outcome=Outcome.REFUND, rationale="商家超时未答复")
    await handle.execute_update(CaseWorkflow.act, decide)

    found = await rechecked(sessions, case.case_id)
    all_same(found)
    (_, _, timeout), (_, ruled, ruling) = found
    assert timeout["entry_point"] == packets.ON_MERCHANT_TIMEOUT and timeout["decision"]["outcome"] == "to_agent"  # type: ignore[index]
    assert ruling["recommended"]["outcome"] == "to_agent" and ruling["decision"]["outcome"] == "refund"  # type: ignore[index]
    assert ruled.lines[:2] == [
        "decided by a person (agent agent-1): refund 9900 fen [AGENT-DECISION]",
        f"the rules recommended ({packets.RECOMMEND}): to_agent 0 fen [{', '.join(ruling['recommended']['rules'])}]",  # type: ignore[index]
    ]


async def test_r_small_after_the_buyers_photo_rechecks_with_the_cases_own_threshold(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    """Opened with a higher R-SMALL threshold than today's default: the packet re-derives with its own settings."""
    case = await add_case(sessions, await add_order(sessions), amount_cents=2500, reason=ReasonCode.DAMAGED)
    case = dataclasses.replace(case, thresholds=Thresholds(small_claim_threshold_cents=3000))
    handle = await start(time_skipping_env, task_queue, case)
    await handle.execute_update(CaseWorkflow.add_evidence, await photo_on_file(sessions, case))

    [(_, verdict, packet)] = await rechecked(sessions, case.case_id)
    assert verdict.lines == ["same"]
    assert packet["settings"]["thresholds"]["small_claim_threshold_cents"] == 3000  # type: ignore[index]
    assert "R-SMALL" in packet["decision"]["rules"]  # type: ignore[index]
    today = json.loads(json.dumps(packet))
    today["facts"]["thresholds"] = packets.to_json(Thresholds())  # re-decided under today's default settings
    assert recheck.recheck(today, packets.sha256(today)).code == recheck.DIFFERS


async def test_an_approval_and_a_merchants_resolve_carry_their_packets(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    approved = await add_case(sessions, await add_order(sessions))
    handle = await start(time_skipping_env, task_queue, approved)
    await handle.execute_update(CaseWorkflow.act, merchant(approved, Action.APPROVE))
    [(_, verdict, packet)] = await rechecked(sessions, approved.case_id)
    assert verdict.code == recheck.SAME and packet["by"]["role"] == "merchant"  # type: ignore[index]

    stalled = await add_case(sessions, await stalled_order(sessions), kind=CaseKind.LOGISTICS_STALLED)
    handle = await start(time_skipping_env, task_queue, stalled)
    choice = ActionRequest(
        Action.RESOLVE, Role.MERCHANT, stalled.shop_id, resolution=Resolution.URGE_COURIER_COUPON, note="已催"
    )
    await handle.execute_update(CaseWorkflow.act, choice)
    [(_, verdict, packet)] = await rechecked(sessions, stalled.case_id)
    assert verdict.code == recheck.SAME
    assert packet["extra"]["resolution"] == "urge_courier_coupon"  # type: ignore[index]


async def photo_on_file(sessions: Sessions, case: CaseInput) -> EvidenceAdded:
    sha, evidence_id = "ab" * 32, f"ev-{case.case_id}"
    async with transaction(sessions) as session:
        session.add(
            Evidence(
                evidence_id=evidence_id, case_id=case.case_id, kind=EvidenceKind.PHOTO, sha256=sha, size_bytes=10,
                media_type="image/png", storage_key=f"{case.case_id}/{sha}.png", note="压坏了",
                uploaded_by_role="buyer", uploaded_by_id=case.buyer_id,
            )
        )  # fmt: skip
    return EvidenceAdded(evidence_id, EvidenceKind.PHOTO, sha, "image/png", 10, Role.BUYER, case.buyer_id)
