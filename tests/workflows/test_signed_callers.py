"""Anyone who reaches Temporal can send a case an update; only the service can say it comes from a party: the caller
header is signed with a key only the API and the worker hold, for one update of one case, and only for a while.

Each test drives the real worker (the session's, on the time-skipping server) with a plain Temporal client that sets
the `aftersales-caller` header itself, as `temporal workflow update execute --headers …` does."""

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import (
    Client,
    OutboundInterceptor,
    StartWorkflowUpdateInput,
    WorkflowUpdateFailedError,
    WorkflowUpdateHandle,
)
from temporalio.client import Interceptor as ClientInterceptor
from temporalio.converter import PayloadConverter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.adapters.payments import FakePaymentProvider
from api.caller_header import CallerHeader
from rulebook.enums import Action, CaseStatus
from tests.builders import add_case, add_order
from tests.workflows.support import event_types, merchant, paid, start, stored
from workflows.callers import HEADER, CallerKeys
from workflows.case import CaseWorkflow

Sessions = async_sessionmaker[AsyncSession]
Forge = Callable[[StartWorkflowUpdateInput], Mapping[str, Any]]
ANOTHER_KEY = CallerKeys.parse("dev:" + "b3RoZXIta2V5LW9mLXNvbWVvbmUtd2hvLXJlYWNoZWQtdGVtcG9yYWw=")


class _Forging(ClientInterceptor):
    """A client that puts `forge(update)` in the caller header of every update it sends."""

    def __init__(self, forge: Forge) -> None:
        self.forge = forge

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        forge = self.forge

        class _Out(OutboundInterceptor):
            async def start_workflow_update(self, input: StartWorkflowUpdateInput) -> WorkflowUpdateHandle[Any]:
                input.update_id = input.update_id or f"forged-{input.update}"
                input.headers = {**input.headers, HEADER: PayloadConverter.default.to_payloads([forge(input)])[0]}
                return await super().start_workflow_update(input)

        return _Out(next)


def _client(env: WorkflowEnvironment, interceptor: ClientInterceptor) -> Client:
    config = env.client.config()
    config["interceptors"] = [interceptor]
    return Client(**config)


def _signer(env: WorkflowEnvironment, keys: CallerKeys, clock: Callable[[], Awaitable[datetime]]) -> Client:
    header = CallerHeader(keys)
    header.clock = clock
    return _client(env, header)


async def _refused(call: Awaitable[Any]) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await call
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "forbidden"
    return str(cause.message)


def _fake_parcel(role: str, actor_id: str) -> dict[str, Any]:
    return {
        "tracking_no": "SF-FAKE",
        "status": "delivered",
        "at": "2026-11-30T00:00:00Z",
        "role": role,
        "actor_id": actor_id,
    }


def _fake_file(role: str, actor_id: str) -> dict[str, Any]:
    file = {"evidence_id": "ev-forged", "kind": "photo", "sha256": "0" * 64, "media_type": "image/png", "size_bytes": 1}
    return {**file, "role": role, "actor_id": actor_id}


async def test_a_forged_merchant_header_cannot_approve_and_nothing_is_paid(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, payments: FakePaymentProvider
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    await start(time_skipping_env, task_queue, case)
    claim = {"role": "merchant", "actor_id": case.shop_id, "shop_id": case.shop_id}
    forged = _client(time_skipping_env, _Forging(lambda _: claim))
    handle = forged.get_workflow_handle_for(CaseWorkflow.run, f"case-{case.case_id}")

    message = await _refused(handle.execute_update(CaseWorkflow.act, merchant(case, Action.APPROVE)))

    assert "not signed" in message
    assert (await stored(sessions, case.case_id)).status == CaseStatus.AWAITING_MERCHANT
    assert paid(payments, case) == [] and await event_types(sessions, case.case_id) == ["case_opened"]


async def test_forged_system_tracking_and_evidence_are_refused(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    await start(time_skipping_env, task_queue, case)
    system = {"role": "system", "actor_id": "platform"}
    forged = _client(time_skipping_env, _Forging(lambda _: system)).get_workflow_handle(f"case-{case.case_id}")
    # signed, but with a key the worker does not hold
    now = time_skipping_env.get_current_time
    stranger = _signer(time_skipping_env, ANOTHER_KEY, now).get_workflow_handle(f"case-{case.case_id}")

    for handle in (forged, stranger):
        await _refused(handle.execute_update("tracking", _fake_parcel("system", "platform")))
        await _refused(handle.execute_update("add_evidence", _fake_file("buyer", case.buyer_id)))

    assert await event_types(sessions, case.case_id) == ["case_opened"]


async def test_a_signed_header_is_good_for_its_own_update_of_its_own_case_only(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    order = await add_order(sessions)
    case = await add_case(sessions, order)
    await start(time_skipping_env, task_queue, case)
    seen: list[Mapping[str, Any]] = []
    service = CallerHeader()
    service.clock = time_skipping_env.get_current_time

    class _Recording(ClientInterceptor):
        def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
            class _Out(OutboundInterceptor):
                async def start_workflow_update(self, input: StartWorkflowUpdateInput) -> WorkflowUpdateHandle[Any]:
                    handle = await super().start_workflow_update(input)
                    seen.append(PayloadConverter.default.from_payloads([input.headers[HEADER]], [dict])[0])
                    return handle

            return _Out(service.intercept_client(next))

    said = merchant(case, Action.MESSAGE, message="已联系仓库")
    signed = _client(time_skipping_env, _Recording()).get_workflow_handle_for(CaseWorkflow.run, f"case-{case.case_id}")
    assert await signed.execute_update(CaseWorkflow.act, said) == CaseStatus.AWAITING_MERCHANT
    (genuine,) = seen

    replayed = _client(time_skipping_env, _Forging(lambda _: genuine))
    same_case = replayed.get_workflow_handle_for(CaseWorkflow.run, f"case-{case.case_id}")
    assert "another update" in await _refused(
        same_case.execute_update(CaseWorkflow.act, merchant(case, Action.APPROVE))
    )
    other = await add_case(sessions, await add_order(sessions))
    await start(time_skipping_env, task_queue, other)
    other_case = replayed.get_workflow_handle_for(CaseWorkflow.run, f"case-{other.case_id}")
    assert "another update" in await _refused(
        other_case.execute_update(CaseWorkflow.act, merchant(other, Action.APPROVE))
    )
    tampered = _Forging(lambda _: {**genuine, "role": "system"})
    handle = _client(time_skipping_env, tampered).get_workflow_handle_for(CaseWorkflow.run, f"case-{case.case_id}")
    assert "does not match" in await _refused(handle.execute_update(CaseWorkflow.act, said))
    assert (await stored(sessions, other.case_id)).status == CaseStatus.AWAITING_MERCHANT


async def test_a_properly_signed_header_acts_as_its_party(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, payments: FakePaymentProvider
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    await start(time_skipping_env, task_queue, case)
    signer = _signer(time_skipping_env, CallerKeys.development(), time_skipping_env.get_current_time)
    handle = signer.get_workflow_handle_for(CaseWorkflow.run, f"case-{case.case_id}")

    assert await handle.execute_update(CaseWorkflow.act, merchant(case, Action.APPROVE)) == CaseStatus.RESOLVED
    assert paid(payments, case) == [f"case-{case.case_id}:refund:1"]


async def test_a_header_signed_too_long_ago_or_ahead_is_refused(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    await start(time_skipping_env, task_queue, case)

    for shift in (timedelta(minutes=-6), timedelta(minutes=6)):

        async def shifted(shift: timedelta = shift) -> datetime:
            return await time_skipping_env.get_current_time() + shift

        handle = _signer(time_skipping_env, CallerKeys.development(), shifted).get_workflow_handle_for(
            CaseWorkflow.run, f"case-{case.case_id}"
        )
        assert "stale" in await _refused(handle.execute_update(CaseWorkflow.act, merchant(case, Action.APPROVE)))

    assert (await stored(sessions, case.case_id)).status == CaseStatus.AWAITING_MERCHANT
