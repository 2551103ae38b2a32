"""A case's refund through the HTTP provider, retried by Temporal's retry policy: a 5xx answer and an answer lost
after the provider took the money end in exactly one payment, booked with the provider's reference (MONEY-02)."""

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import WorkflowEnvironment

from activities.adapters.payments_http import HttpPaymentProvider
from rulebook.enums import CaseStatus, Party
from tests.builders import add_case, add_order
from tests.support.payment_server import running_payment_server
from tests.workflows.support import event_types, ledger, start, stored
from worker import build_worker

Sessions = async_sessionmaker[AsyncSession]


async def test_a_flaky_provider_is_retried_with_the_same_key_until_it_answers_and_pays_once(
    time_skipping_env: WorkflowEnvironment, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions, shipped=False), amount_cents=4200)
    key = f"case-{case.case_id}:refund:1"
    queue = f"http-payments-{uuid.uuid4().hex[:8]}"
    async with (
        running_payment_server() as server,
        HttpPaymentProvider(server.url, timeout=timedelta(milliseconds=500)) as provider,
        build_worker(time_skipping_env.client, sessions, provider, queue),
    ):
        server.fail_next(1)
        server.pay_then_stall_next(seconds=5)

        handle = await start(time_skipping_env, queue, case)
        assert await handle.result() == CaseStatus.RESOLVED

    assert [c.idempotency_key for c in server.calls] == [key] * 3  # a 500, a lost answer, the payment's reference
    (payment,) = server.payments
    assert (payment.idempotency_key, payment.amount_cents) == (key, 4200)
    assert [(e.business_key, e.status, e.external_ref) for e in await ledger(sessions, case.case_id)] == [
        (key, "succeeded", payment.reference)
    ]
    assert (await event_types(sessions, case.case_id)).count("refund_executed") == 1


async def test_a_refund_the_provider_refuses_with_a_4xx_is_final_and_sends_the_case_to_an_agent(
    time_skipping_env: WorkflowEnvironment, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions, shipped=False), amount_cents=4200)
    queue = f"http-payments-{uuid.uuid4().hex[:8]}"
    async with (
        running_payment_server() as server,
        HttpPaymentProvider(server.url, timeout=timedelta(milliseconds=500)) as provider,
        build_worker(time_skipping_env.client, sessions, provider, queue),
    ):
        server.refuse_next(402, "the buyer's card account is closed")
        handle = await start(time_skipping_env, queue, case)  # not shipped: refunded at once, or so it tries
        held = await stored(sessions, case.case_id)
        await handle.terminate("its worker stops with this test")  # else later skipped time wakes it on no worker

    assert len(server.calls) == 1 and server.payments == []  # final: never asked again
    assert (held.status, held.awaiting) == (CaseStatus.IN_ARBITRATION, Party.AGENT)
    types = await event_types(sessions, case.case_id)
    assert "refund_failed" in types and "case_closed" not in types
    (entry,) = await ledger(sessions, case.case_id)
    assert (entry.status, entry.external_ref) == ("failed", None)
    assert "card account is closed" in entry.note
