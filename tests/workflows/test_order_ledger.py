"""One ledger per order on real workflows: refunds across every case of an order never exceed what was paid,
whatever runs at once; what falls short is said on the timeline and goes to an agent (product.md §8)."""

import asyncio
import contextlib
import uuid
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
from models.ledger import LedgerEntry
from models.timeline import CaseEvent
from rulebook.enums import Action, CaseStatus, Outcome, Party, Role
from rulebook.timers import Timers
from tests.builders import add_case, add_order
from tests.support.polling import eventually
from tests.workflows.support import event_types, merchant, start, stored
from worker import build_worker
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest

Sessions = async_sessionmaker[AsyncSession]
# Every wait a different length, so a wait on the wrong timer shows.
TIMERS = Timers(
    merchant=timedelta(hours=24),
    buyer_reply=timedelta(hours=36),
    agent=timedelta(hours=48),
    refund=timedelta(hours=2),
)


async def order_moves(sessions: Sessions, order_id: str) -> list[LedgerEntry]:
    async with sessions() as session:
        return list((await session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order_id))).all())


async def refunded(sessions: Sessions, order_id: str) -> int:
    moves = await order_moves(sessions, order_id)
    return sum(m.amount_cents for m in moves if m.kind == "refund" and m.status in ("pending", "succeeded"))


async def last_event(sessions: Sessions, case_id: str, type: str) -> CaseEvent:
    async with sessions() as session:
        rows = await session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.type == type))
        found = rows.all()
    assert found, f"no {type} on case {case_id}"
    return found[-1]


async def test_two_cases_approved_at_the_same_instant_pay_the_order_once_and_the_other_says_so(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, payments: FakePaymentProvider
) -> None:
    order = await add_order(sessions, total_cents=5900)
    cases = [await add_case(sessions, order, timers=TIMERS, held_open=i == 0) for i in range(2)]
    handles = [await start(time_skipping_env, task_queue, case) for case in cases]

    approvals = [
        h.execute_update(CaseWorkflow.act, merchant(c, Action.APPROVE)) for h, c in zip(handles, cases, strict=True)
    ]
    statuses = await asyncio.gather(*approvals)

    assert sorted(statuses) == sorted([CaseStatus.RESOLVED, CaseStatus.IN_ARBITRATION])
    assert await refunded(sessions, order.order_id) == 5900
    paid_keys = [k for k in payments.calls if any(k.startswith(f"case-{c.case_id}:refund") for c in cases)]
    assert len(paid_keys) == 1
    short = cases[statuses.index(CaseStatus.IN_ARBITRATION)]
    refused = await last_event(sessions, short.case_id, "refund_refused")
    assert refused.data["asked_cents"] == 5900
    assert (refused.data["refunded_before_cents"], refused.data["left_before_cents"]) == (5900, 0)
    assert "case_closed" not in await event_types(sessions, short.case_id)
    held = await stored(sessions, short.case_id)
    assert (held.awaiting, held.deadline) == (Party.AGENT, refused.at + TIMERS.agent)


async def test_a_full_refund_is_capped_to_what_another_case_left_and_goes_to_an_agent(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    order = await add_order(sessions, total_cents=9900)
    partial, full = [await add_case(sessions, order, timers=TIMERS, held_open=i == 0) for i in range(2)]
    partial_handle = await start(time_skipping_env, task_queue, partial)
    full_handle = await start(time_skipping_env, task_queue, full)

    proposal = merchant(partial, Action.PROPOSE, outcome=Outcome.PARTIAL_REFUND, amount_cents=6000, message="退一部分")
    await partial_handle.execute_update(CaseWorkflow.act, proposal)
    accept = ActionRequest(Action.ACCEPT_PROPOSAL, Role.BUYER, partial.buyer_id)
    assert await partial_handle.execute_update(CaseWorkflow.act, accept) == CaseStatus.RESOLVED
    assert await full_handle.execute_update(CaseWorkflow.act, merchant(full, Action.APPROVE)) == (
        CaseStatus.IN_ARBITRATION
    )

    capped = await last_event(sessions, full.case_id, "refund_capped")
    assert (capped.data["asked_cents"], capped.data["amount_cents"]) == (9900, 3900)
    assert (capped.data["refunded_before_cents"], capped.data["left_after_cents"]) == (6000, 0)
    assert capped.data["external_ref"].startswith("RF-")
    assert await refunded(sessions, order.order_id) == 9900


async def test_a_named_partial_refund_past_what_is_left_is_refused_not_shrunk(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    order = await add_order(sessions, total_cents=9900)
    first, second = [await add_case(sessions, order, timers=TIMERS, held_open=i == 0) for i in range(2)]
    first_handle = await start(time_skipping_env, task_queue, first)
    second_handle = await start(time_skipping_env, task_queue, second)
    await first_handle.execute_update(CaseWorkflow.act, merchant(first, Action.APPROVE))  # 9 900 refunded

    proposal = merchant(second, Action.PROPOSE, outcome=Outcome.PARTIAL_REFUND, amount_cents=2000, message="补偿")
    await second_handle.execute_update(CaseWorkflow.act, proposal)
    accept = ActionRequest(Action.ACCEPT_PROPOSAL, Role.BUYER, second.buyer_id)
    assert await second_handle.execute_update(CaseWorkflow.act, accept) == CaseStatus.IN_ARBITRATION

    refused = await last_event(sessions, second.case_id, "refund_refused")
    assert (refused.data["asked_cents"], refused.data["amount_cents"], refused.data["left_before_cents"]) == (
        2000,
        0,
        0,
    )
    assert await refunded(sessions, order.order_id) == 9900


async def test_a_refund_the_provider_refuses_for_good_never_resolves_the_case_and_frees_the_money(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, payments: FakePaymentProvider
) -> None:
    order = await add_order(sessions, total_cents=4200)
    case = await add_case(sessions, order, timers=TIMERS)
    payments.refuse.add(f"case-{case.case_id}:refund:1")
    handle = await start(time_skipping_env, task_queue, case)

    assert await handle.execute_update(CaseWorkflow.act, merchant(case, Action.APPROVE)) == CaseStatus.IN_ARBITRATION

    failed = await last_event(sessions, case.case_id, "refund_failed")
    assert failed.data["amount_cents"] == 0 and "refused" in failed.data["note"]
    assert [m.status for m in await order_moves(sessions, order.order_id)] == ["failed"]
    assert await refunded(sessions, order.order_id) == 0
    assert (await stored(sessions, case.case_id)).status == CaseStatus.IN_ARBITRATION


class SlowProvider(FakePaymentProvider):
    """Fails (retryably) until released, as a provider that is down for hours would."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True

    async def refund(self, *, idempotency_key: str, order_id: str, amount_cents: int) -> str:
        if self.down:
            raise ConnectionError("the provider is down")
        return await super().refund(idempotency_key=idempotency_key, order_id=order_id, amount_cents=amount_cents)


async def test_a_refund_still_unconfirmed_as_t_refund_nears_alerts_the_agents_and_then_completes(
    time_skipping_env: WorkflowEnvironment, sessions: Sessions
) -> None:
    provider = SlowProvider()
    queue = f"slow-payments-{uuid.uuid4().hex[:8]}"
    async with build_worker(time_skipping_env.client, sessions, provider, queue):
        case = await add_case(sessions, await add_order(sessions, total_cents=3300), timers=TIMERS)
        handle = await start(time_skipping_env, queue, case)
        approving = asyncio.create_task(handle.execute_update(CaseWorkflow.act, merchant(case, Action.APPROVE)))
        try:
            await time_skipping_env.sleep(timedelta(minutes=50))
            assert "refund_overdue" not in await event_types(sessions, case.case_id)
            await time_skipping_env.sleep(timedelta(minutes=15))  # past half of T-REFUND (2 h): an hour unconfirmed
            types = await eventually(
                lambda: event_types(sessions, case.case_id), lambda t: "refund_overdue" in t, within=30
            )
            assert types == ["case_opened", "merchant_approved", "decision_made", "refund_overdue"]
            overdue = await last_event(sessions, case.case_id, "refund_overdue")
            assert overdue.data["timer"] == "T-REFUND" and overdue.data["amount_cents"] == 3300
            assert (await stored(sessions, case.case_id)).urgent

            provider.down = False
            assert await approving == CaseStatus.RESOLVED
            assert (await event_types(sessions, case.case_id))[-2:] == ["refund_executed", "case_closed"]
        finally:  # a case left waiting on its slow provider would stall every later time skip of the session
            with contextlib.suppress(RPCError):
                await handle.terminate("test over")


async def test_a_case_knows_what_the_ledger_left_after_its_move_and_refuses_more_at_once(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    order = await add_order(sessions, total_cents=9900)
    partial, full = [await add_case(sessions, order, timers=TIMERS, held_open=i == 0) for i in range(2)]
    partial_handle = await start(time_skipping_env, task_queue, partial)
    full_handle = await start(time_skipping_env, task_queue, full)
    too_much = merchant(full, Action.PROPOSE, outcome=Outcome.PARTIAL_REFUND, amount_cents=9901, message="全退")
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await full_handle.execute_update(CaseWorkflow.act, too_much)
    assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == "invalid_amount"

    proposal = merchant(partial, Action.PROPOSE, outcome=Outcome.PARTIAL_REFUND, amount_cents=6000, message="退一部分")
    await partial_handle.execute_update(CaseWorkflow.act, proposal)
    await partial_handle.execute_update(
        CaseWorkflow.act, ActionRequest(Action.ACCEPT_PROPOSAL, Role.BUYER, partial.buyer_id)
    )
    await full_handle.execute_update(CaseWorkflow.act, merchant(full, Action.APPROVE))  # capped to 3 900

    ruling = ActionRequest(
        Action.DECIDE, Role.AGENT, "agent-1", outcome=Outcome.PARTIAL_REFUND, amount_cents=100, rationale="再补一点"
    )
    with pytest.raises(WorkflowUpdateFailedError) as nothing_left:
        await full_handle.execute_update(CaseWorkflow.act, ruling)
    assert isinstance(nothing_left.value.cause, ApplicationError) and nothing_left.value.cause.type == "invalid_amount"
    assert await refunded(sessions, order.order_id) == 9900
