"""WF-03: the merchant's reply and T-MERCHANT's step-in meet at the deadline itself; exactly one of them wins."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.adapters.payments import FakePaymentProvider
from rulebook.enums import Action, CaseStatus
from tests.builders import add_case, add_order
from tests.support.polling import eventually
from tests.workflows.support import event_types, ledger, merchant, paid, start, stored
from workflows.case import CaseWorkflow

Sessions = async_sessionmaker[AsyncSession]
DAY = timedelta(hours=24)


@pytest.mark.parametrize("offset_seconds", [-2, -1, 0, 1, 2])
async def test_a_reply_at_the_deadline_and_the_step_in_never_both_happen(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    sessions: Sessions,
    payments: FakePaymentProvider,
    offset_seconds: int,
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    handle = await start(time_skipping_env, task_queue, case)
    await time_skipping_env.sleep(DAY + timedelta(seconds=offset_seconds))

    # Within a second of the deadline the reply goes out while time moves on and the timer may be firing: either
    # may win. Two seconds away, the winner is known.
    racing = abs(offset_seconds) <= 1
    reply, _ = await asyncio.gather(
        handle.execute_update(CaseWorkflow.act, merchant(case, Action.APPROVE)),
        time_skipping_env.sleep(timedelta(seconds=1 if racing else 0)),
        return_exceptions=True,
    )
    settled = await eventually(
        lambda: stored(sessions, case.case_id), lambda c: c.status != CaseStatus.AWAITING_MERCHANT
    )
    types = await event_types(sessions, case.case_id)

    assert types.count("decision_made") == 1
    if reply == CaseStatus.RESOLVED:  # the merchant was first: the deadline never counted
        assert offset_seconds < 2
        assert "deadline_passed" not in types and settled.status == CaseStatus.RESOLVED
        assert [e.amount_cents for e in await ledger(sessions, case.case_id)] == [case.amount_cents]
        assert len(paid(payments, case)) == 1
    else:  # the platform was first: the late reply is refused and changes nothing
        assert offset_seconds > -2
        assert isinstance(reply, WorkflowUpdateFailedError)
        assert isinstance(reply.cause, ApplicationError) and reply.cause.type == "invalid_state"
        assert types[:3] == ["case_opened", "deadline_passed", "decision_made"]
        assert "merchant_approved" not in types
        assert settled.status == CaseStatus.IN_ARBITRATION
        assert paid(payments, case) == []
    if settled.status != CaseStatus.RESOLVED:  # the platform's decision stays open to an override: end it here
        await handle.terminate("test over")
