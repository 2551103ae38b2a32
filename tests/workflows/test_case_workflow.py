"""The case workflow on the time-skipping server, with the real activities and database."""

import asyncio
import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.adapters.payments import FakePaymentProvider
from models.db import transaction
from models.evidence import Evidence
from models.timeline import CaseEvent
from rulebook.enums import Action, CaseStatus, Claim, EvidenceKind, Outcome, Party, ReasonCode, Role
from tests.builders import add_case, add_order
from tests.support.polling import eventually
from tests.workflows.support import event_types, ledger, merchant, paid, start, stored
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest, CaseInput, EvidenceAdded

Sessions = async_sessionmaker[AsyncSession]
DAY = timedelta(hours=24)


async def test_opening_waits_on_the_merchant_until_the_deadline_and_says_so_to_the_ui(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    handle = await start(time_skipping_env, task_queue, case)
    opened = await stored(sessions, case.case_id)
    async with sessions() as session:
        first = (await session.exec(select(CaseEvent).where(CaseEvent.case_id == case.case_id))).first()
    assert first is not None and first.type == "case_opened"
    assert (opened.status, opened.awaiting, opened.deadline) == (
        CaseStatus.AWAITING_MERCHANT,
        Party.MERCHANT,
        first.at + DAY,
    )
    attributes = {key.name: value for key, value in (await handle.describe()).typed_search_attributes}
    assert attributes["CaseStatus"] == "awaiting_merchant"
    assert attributes["AwaitingParty"] == "merchant"
    assert attributes["DeadlineAt"] == opened.deadline
    assert (attributes["ShopId"], attributes["OrderId"], attributes["Urgent"]) == (case.shop_id, case.order_id, False)

    withdraw = ActionRequest(Action.WITHDRAW, Role.BUYER, case.buyer_id, reason="不需要了")
    assert await handle.execute_update(CaseWorkflow.act, withdraw) == CaseStatus.WITHDRAWN
    assert (await stored(sessions, case.case_id)).open_key is None


async def test_just_before_t_merchant_the_case_still_waits_and_just_after_the_platform_steps_in(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    await start(time_skipping_env, task_queue, case)

    await time_skipping_env.sleep(DAY - timedelta(seconds=10))
    assert (await stored(sessions, case.case_id)).status == CaseStatus.AWAITING_MERCHANT
    assert "deadline_passed" not in await event_types(sessions, case.case_id)

    await time_skipping_env.sleep(timedelta(seconds=20))
    after = await eventually(lambda: stored(sessions, case.case_id), lambda c: c.status != CaseStatus.AWAITING_MERCHANT)
    types = await event_types(sessions, case.case_id)
    assert types[:3] == ["case_opened", "deadline_passed", "decision_made"]
    assert (after.status, after.awaiting) == (CaseStatus.IN_ARBITRATION, Party.AGENT)  # no rule settles 'other'
    async with sessions() as session:
        decided = (
            await session.exec(
                select(CaseEvent).where(CaseEvent.case_id == case.case_id, CaseEvent.type == "decision_made")
            )
        ).one()
    assert "R-TIMEOUT" in decided.data["rules"]


async def test_a_reply_just_before_the_deadline_wins(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, payments: FakePaymentProvider
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    handle = await start(time_skipping_env, task_queue, case)

    await time_skipping_env.sleep(DAY - timedelta(seconds=10))
    assert await handle.execute_update(CaseWorkflow.act, merchant(case, Action.APPROVE)) == CaseStatus.RESOLVED
    await time_skipping_env.sleep(timedelta(hours=5))

    assert await handle.result() == CaseStatus.RESOLVED
    types = await event_types(sessions, case.case_id)
    assert "deadline_passed" not in types
    assert types == ["case_opened", "merchant_approved", "decision_made", "refund_executed", "case_closed"]
    assert [e.amount_cents for e in await ledger(sessions, case.case_id)] == [case.amount_cents]
    assert paid(payments, case) == [f"case-{case.case_id}:refund:1"]


async def test_two_approvals_at_once_refund_once_and_the_second_is_refused_with_the_status(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, payments: FakePaymentProvider
) -> None:
    case = await add_case(sessions, await add_order(sessions), amount_cents=5000)
    handle = await start(time_skipping_env, task_queue, case)
    approve = merchant(case, Action.APPROVE)

    results = await asyncio.gather(
        handle.execute_update(CaseWorkflow.act, approve),
        handle.execute_update(CaseWorkflow.act, approve),
        return_exceptions=True,
    )

    assert results.count(CaseStatus.RESOLVED) == 1
    (refused,) = [r for r in results if isinstance(r, BaseException)]
    assert isinstance(refused, WorkflowUpdateFailedError)
    assert isinstance(refused.cause, ApplicationError) and refused.cause.type == "invalid_state"
    assert refused.cause.details == ({"status": "resolved"},)
    entries = await ledger(sessions, case.case_id)
    assert [(e.business_key, e.amount_cents, e.status) for e in entries] == [
        (f"case-{case.case_id}:refund:1", 5000, "succeeded")
    ]
    assert len(paid(payments, case)) == 1
    resolved = await stored(sessions, case.case_id)
    assert resolved.decision is not None and resolved.decision["outcome"] == Outcome.REFUND
    assert resolved.open_key is None


async def test_an_order_not_yet_shipped_is_refunded_at_once(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, payments: FakePaymentProvider
) -> None:
    case = await add_case(sessions, await add_order(sessions, shipped=False))
    handle = await start(time_skipping_env, task_queue, case)

    assert await handle.result() == CaseStatus.RESOLVED
    assert await event_types(sessions, case.case_id) == [
        "case_opened",
        "decision_made",
        "fulfilment_cancelled",
        "refund_executed",
        "case_closed",
    ]
    assert len(paid(payments, case)) == 1


async def test_a_buyer_cannot_approve_and_a_rejection_lets_the_buyer_escalate_to_an_agent_who_decides(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, payments: FakePaymentProvider
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    handle = await start(time_skipping_env, task_queue, case)
    buyer = {"role": Role.BUYER, "actor_id": case.buyer_id}

    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(CaseWorkflow.act, ActionRequest(action=Action.APPROVE, **buyer))  # type: ignore[arg-type]
    assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == "forbidden"

    await handle.execute_update(CaseWorkflow.act, merchant(case, Action.REJECT, reason="已签收无质量问题"))
    assert (await stored(sessions, case.case_id)).awaiting == Party.BUYER
    escalate = ActionRequest(action=Action.ESCALATE, reason="商品有破损", **buyer)  # type: ignore[arg-type]
    assert await handle.execute_update(CaseWorkflow.act, escalate) == CaseStatus.IN_ARBITRATION
    decide = ActionRequest(
        Action.DECIDE,
        Role.AGENT,
        "agent-7",
        outcome=Outcome.PARTIAL_REFUND,
        amount_cents=3000,
        rationale="照片显示轻微破损",
    )
    assert await handle.execute_update(CaseWorkflow.act, decide) == CaseStatus.RESOLVED

    resolved = await stored(sessions, case.case_id)
    assert resolved.decision is not None
    assert (resolved.decision["outcome"], resolved.decision["amount_cents"], resolved.decision["by"]) == (
        "partial_refund",
        3000,
        "agent",
    )
    assert paid(payments, case) == [f"case-{case.case_id}:refund:1"]


async def test_a_proposal_accepted_by_the_buyer_moves_the_proposed_amount(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    handle = await start(time_skipping_env, task_queue, case)
    propose = merchant(case, Action.PROPOSE, outcome=Outcome.PARTIAL_REFUND, amount_cents=2000, message="退一半可以吗")
    await handle.execute_update(CaseWorkflow.act, propose)
    accept = ActionRequest(Action.ACCEPT_PROPOSAL, Role.BUYER, case.buyer_id)
    assert await handle.execute_update(CaseWorkflow.act, accept) == CaseStatus.RESOLVED
    assert [e.amount_cents for e in await ledger(sessions, case.case_id)] == [2000]


async def test_evidence_joins_the_chain_while_the_case_is_open_and_is_refused_once_it_is_closed(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    handle = await start(time_skipping_env, task_queue, case)
    photo = EvidenceAdded("ev-1", EvidenceKind.PHOTO, "ab" * 32, "image/png", 1234, Role.BUYER, case.buyer_id, "开线处")

    assert await handle.execute_update(CaseWorkflow.add_evidence, photo) == CaseStatus.AWAITING_MERCHANT
    async with sessions() as session:
        added = (
            await session.exec(
                select(CaseEvent).where(CaseEvent.case_id == case.case_id, CaseEvent.type == "evidence_added")
            )
        ).one()
    assert (added.actor_role, added.data["sha256"], added.data["evidence_id"]) == ("buyer", "ab" * 32, "ev-1")

    await handle.execute_update(CaseWorkflow.act, ActionRequest(Action.WITHDRAW, Role.BUYER, case.buyer_id))
    late = dataclasses.replace(photo, evidence_id="ev-2")
    with pytest.raises((WorkflowUpdateFailedError, RPCError)):
        await handle.execute_update(CaseWorkflow.add_evidence, late)
    assert (await event_types(sessions, case.case_id)).count("evidence_added") == 1


@pytest.mark.parametrize(
    ("merchant_move", "after_silence"),
    [
        (
            ActionRequest(Action.REJECT, Role.MERCHANT, "clerk", reason="吊牌已拆", claims=(Claim.TAGS_REMOVED,)),
            "rejected",
        ),
        (
            ActionRequest(Action.PROPOSE, Role.MERCHANT, "clerk", outcome=Outcome.COUPON, amount_cents=500),
            "in_arbitration",
        ),
    ],
    ids=["rejection-stands", "proposal-lapses"],
)
async def test_a_buyer_silent_past_t_buyer_reply(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    sessions: Sessions,
    merchant_move: ActionRequest,
    after_silence: str,
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    handle = await start(time_skipping_env, task_queue, case)
    assert await handle.execute_update(CaseWorkflow.act, merchant_move) == CaseStatus.AWAITING_BUYER

    await time_skipping_env.sleep(timedelta(hours=47))
    assert (await stored(sessions, case.case_id)).status == CaseStatus.AWAITING_BUYER
    await time_skipping_env.sleep(timedelta(hours=2))
    after = await eventually(lambda: stored(sessions, case.case_id), lambda c: c.status != CaseStatus.AWAITING_BUYER)

    assert (after.status, after.proposal) == (after_silence, None)
    assert (await event_types(sessions, case.case_id))[-1] == "deadline_passed"
    if after.status == CaseStatus.IN_ARBITRATION:
        ruling = ActionRequest(Action.DECIDE, Role.AGENT, "agent-1", outcome=Outcome.REJECT, rationale="无依据")
        assert await handle.execute_update(CaseWorkflow.act, ruling) == CaseStatus.REJECTED


async def test_an_arbitration_left_past_t_agent_is_raised_and_reminded_never_decided_by_default(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    handle = await start(time_skipping_env, task_queue, case)
    escalate = ActionRequest(Action.ESCALATE, Role.MERCHANT, "clerk", reason="买家描述与事实不符")
    assert await handle.execute_update(CaseWorkflow.act, escalate) == CaseStatus.IN_ARBITRATION
    assert (await stored(sessions, case.case_id)).urgent is False

    await time_skipping_env.sleep(timedelta(hours=49))
    raised = await eventually(lambda: stored(sessions, case.case_id), lambda c: c.urgent)

    assert (raised.status, raised.awaiting, raised.decision) == (CaseStatus.IN_ARBITRATION, Party.AGENT, None)
    assert (await event_types(sessions, case.case_id))[-1] == "agent_reminder"
    attributes = {key.name: value for key, value in (await handle.describe()).typed_search_attributes}
    assert attributes["Urgent"] is True
    ruling = ActionRequest(Action.DECIDE, Role.AGENT, "agent-2", outcome=Outcome.REFUND, rationale="证据支持买家")
    assert await handle.execute_update(CaseWorkflow.act, ruling) == CaseStatus.RESOLVED


async def _photo_on_file(sessions: Sessions, case: CaseInput, evidence_id: str) -> EvidenceAdded:
    sha = "cd" * 32
    async with transaction(sessions) as session:
        session.add(
            Evidence(
                evidence_id=evidence_id, case_id=case.case_id, kind=EvidenceKind.PHOTO, sha256=sha, size_bytes=10,
                media_type="image/png", storage_key=f"{case.case_id}/{sha}.png", note="两个压坏的水果",
                uploaded_by_role="buyer", uploaded_by_id=case.buyer_id,
            )
        )  # fmt: skip
    return EvidenceAdded(evidence_id, EvidenceKind.PHOTO, sha, "image/png", 10, Role.BUYER, case.buyer_id)


@pytest.mark.parametrize(("asked", "settled_at_once"), [(1500, True), (2500, False)])
async def test_small_damage_shown_by_the_buyers_photo_is_refunded_at_once_without_the_merchant(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    sessions: Sessions,
    payments: FakePaymentProvider,
    asked: int,
    settled_at_once: bool,
) -> None:
    case = await add_case(sessions, await add_order(sessions), amount_cents=asked, reason=ReasonCode.DAMAGED)
    handle = await start(time_skipping_env, task_queue, case)
    assert (await stored(sessions, case.case_id)).status == CaseStatus.AWAITING_MERCHANT  # no photo yet

    photo = await _photo_on_file(sessions, case, f"ev-{case.case_id}")
    status = await handle.execute_update(CaseWorkflow.add_evidence, photo)

    if settled_at_once:
        decided = await stored(sessions, case.case_id)
        assert (status, decided.decision is not None) == (CaseStatus.RESOLVED, True)
        assert decided.decision is not None and "R-SMALL" in decided.decision["rules"]
        assert [e.amount_cents for e in await ledger(sessions, case.case_id)] == [asked]
        assert paid(payments, case) == [f"case-{case.case_id}:refund:1"]
    else:
        assert status == CaseStatus.AWAITING_MERCHANT and await ledger(sessions, case.case_id) == []
        await handle.execute_update(CaseWorkflow.act, ActionRequest(Action.WITHDRAW, Role.BUYER, case.buyer_id))


async def test_a_proposal_the_service_cannot_carry_out_is_refused_and_the_case_waits_on(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    handle = await start(time_skipping_env, task_queue, case)
    exchange = merchant(case, Action.PROPOSE, outcome=Outcome.EXCHANGE, message="给您换一件")  # nothing comes back

    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(CaseWorkflow.act, exchange)

    assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == "invalid_request"
    assert (await stored(sessions, case.case_id)).status == CaseStatus.AWAITING_MERCHANT
    await handle.execute_update(CaseWorkflow.act, ActionRequest(Action.WITHDRAW, Role.BUYER, case.buyer_id))
