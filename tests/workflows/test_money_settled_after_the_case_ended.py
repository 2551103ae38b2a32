"""A case terminated mid-refund leaves its ledger row `pending`, holding the money (issue "A record no one can
rewrite", finding 6). The reconciliation's money pass asks the provider by the business key and books the row:
`succeeded` with the provider's reference when it paid, `failed` when it never took the payment (the order's money
free again); each with a `money_settled` event on the case's chain, and the order's ledger verifying."""

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import WorkflowEnvironment

from activities.adapters.payments_http import HttpPaymentProvider
from activities.money_settling import MoneySettler
from models import ledger_audit, order_ledger
from models.order import Order
from models.timeline import CaseEvent, verify_chain
from models.types import utcnow
from tests.builders import add_case, add_order
from tests.support.payment_server import PaymentServer, running_payment_server
from tests.support.polling import eventually
from tests.workflows.support import events_of, ledger, start_opening, stored
from worker import build_worker
from workflows.messages import CaseInput

Sessions = async_sessionmaker[AsyncSession]


async def terminated_mid_refund(
    env: WorkflowEnvironment, sessions: Sessions, server: PaymentServer, provider: HttpPaymentProvider, case: CaseInput
) -> None:
    """The case (not shipped: refunded at once) is terminated while its refund is with the provider."""
    queue = f"settle-{uuid.uuid4().hex[:8]}"
    async with build_worker(env.client, sessions, provider, queue):
        handle = await start_opening(env.client, queue, case)  # its opening's refund never returns
        await eventually(lambda: ledger(sessions, case.case_id), lambda rows: len(rows) == 1, within=10)
        await eventually(lambda: _calls(server), lambda calls: calls > 0, within=10)
        await handle.terminate("历史卡住,人工终止")
    (row,) = await ledger(sessions, case.case_id)
    assert row.status == "pending"


async def _calls(server: PaymentServer) -> int:
    return len(server.calls)


async def order_check(sessions: Sessions, order_id: str) -> list[ledger_audit.Finding]:
    async with sessions() as session:
        order = await session.get(Order, order_id)
        assert order is not None
        rows = await order_ledger.entries(session, order_id)
        query = select(CaseEvent).where(col(CaseEvent.type).in_(ledger_audit.MONEY_EVENTS))
        events = [e for e in (await session.exec(query)).all() if e.case_id in {r.case_id for r in rows}]
        return ledger_audit.check(order.total_cents, rows, events, utcnow() + timedelta(hours=1))


async def chain_is_whole(sessions: Sessions, case_id: str) -> bool:
    async with sessions() as session:
        events = (
            await session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(col(CaseEvent.seq)))
        ).all()
    case = await stored(sessions, case_id)
    return verify_chain(list(events), case.head_hash, case.event_count).valid


async def test_a_refund_the_provider_paid_is_booked_succeeded_with_its_reference(
    time_skipping_env: WorkflowEnvironment, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions, shipped=False, total_cents=9900), amount_cents=9900)
    key = f"case-{case.case_id}:refund:1"
    async with (
        running_payment_server() as server,
        HttpPaymentProvider(server.url, timeout=timedelta(seconds=30)) as provider,
    ):
        server.pay_then_fail_next(1000)  # the provider takes the money; its answer never reaches the case
        await terminated_mid_refund(time_skipping_env, sessions, server, provider, case)
        settler = MoneySettler(sessions, time_skipping_env.client, provider, settle_after=timedelta(0))
        assert await settler.settle_ended(limit=10, case_ids=[case.case_id]) == [key]
        assert await settler.settle_ended(limit=10, case_ids=[case.case_id]) == []  # once

    (payment,) = server.payments
    (row,) = await ledger(sessions, case.case_id)
    assert (row.status, row.external_ref, row.amount_cents) == ("succeeded", payment.reference, 9900)
    (settled,) = await events_of(sessions, case.case_id, "money_settled")
    assert settled.data | {"note": ""} == {
        "business_key": key,
        "kind": "refund",
        "status": "succeeded",
        "amount_cents": 9900,
        "asked_cents": 9900,
        "external_ref": payment.reference,
        "workflow_status": "terminated",
        "note": "",
    }
    assert await chain_is_whole(sessions, case.case_id)
    assert await order_check(sessions, case.order_id) == []
    assert {c.kind for c in server.calls} == {"refunds", "GET refunds"}


async def test_a_refund_the_provider_never_took_is_booked_failed_and_frees_the_order(
    time_skipping_env: WorkflowEnvironment, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions, shipped=False, total_cents=9900), amount_cents=9900)
    key = f"case-{case.case_id}:refund:1"
    async with (
        running_payment_server() as server,
        HttpPaymentProvider(server.url, timeout=timedelta(seconds=30)) as provider,
    ):
        server.fail_next(1000, status=503)  # down: the refund is retried, never taken
        await terminated_mid_refund(time_skipping_env, sessions, server, provider, case)
        server.answer_normally()  # the provider is back, and answers the lookup
        settler = MoneySettler(sessions, time_skipping_env.client, provider, settle_after=timedelta(0))
        assert await settler.settle_ended(limit=10, case_ids=[case.case_id]) == [key]

    assert server.payments == []
    (row,) = await ledger(sessions, case.case_id)
    assert (row.status, row.external_ref) == ("failed", None)
    assert "never took" in row.note
    (settled,) = await events_of(sessions, case.case_id, "money_settled")
    assert (settled.data["status"], settled.data["amount_cents"], settled.data["business_key"]) == ("failed", 0, key)
    assert await chain_is_whole(sessions, case.case_id)
    assert await order_check(sessions, case.order_id) == []
    async with sessions() as session:  # no longer `nothing_refundable`: the order's 9 900 is free again
        order = await session.get(Order, case.order_id)
        assert order is not None
        allowed = order_ledger.allowance(order, await order_ledger.entries(session, case.order_id), None)
    assert (allowed.committed_cents, allowed.left_cents) == (0, 9900)


async def test_a_running_case_s_pending_money_is_left_to_its_workflow(
    time_skipping_env: WorkflowEnvironment, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions, shipped=False, total_cents=9900), amount_cents=9900)
    queue = f"settle-{uuid.uuid4().hex[:8]}"
    async with (
        running_payment_server() as server,
        HttpPaymentProvider(server.url, timeout=timedelta(seconds=30)) as provider,
        build_worker(time_skipping_env.client, sessions, provider, queue),
    ):
        server.fail_next(1000, status=503)
        handle = await start_opening(time_skipping_env.client, queue, case)
        await eventually(lambda: ledger(sessions, case.case_id), lambda rows: len(rows) == 1, within=10)
        settler = MoneySettler(sessions, time_skipping_env.client, provider, settle_after=timedelta(0))
        assert await settler.settle_ended(limit=10, case_ids=[case.case_id]) == []
        await handle.terminate("its worker stops with this test")
    assert [r.status for r in await ledger(sessions, case.case_id)] == ["pending"]
    assert await events_of(sessions, case.case_id, "money_settled") == []
