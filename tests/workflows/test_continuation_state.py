"""A case continues as new with its whole state as it is: for a case in every open status, the state of the run
that handed over (queried from its closed history) equals, field by field, the state the next run starts with."""

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from rulebook.enums import Action, CaseKind, CaseStatus, Outcome, Party, Role, TrackingStatus
from tests.builders import add_case, add_order
from tests.workflows.support import merchant, start
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest, CaseInput, TrackingUpdate
from workflows.state import CaseState

Sessions = async_sessionmaker[AsyncSession]
Handle = WorkflowHandle[CaseWorkflow, CaseStatus]
Drive = Callable[[Handle, CaseInput], Awaitable[None]]
LIMIT = 60
ADDRESS = "杭州市余杭区退货仓"


async def act(handle: Handle, request: ActionRequest) -> CaseStatus:
    return await handle.execute_update(CaseWorkflow.act, request)


def buyer(case: CaseInput, action: Action, **fields: Any) -> ActionRequest:
    return ActionRequest(action=action, role=Role.BUYER, actor_id=case.buyer_id, **fields)


async def asked_then_extended(handle: Handle, case: CaseInput) -> None:
    """An agent asks the merchant for evidence, and the merchant takes their one extension."""
    await escalated(handle, case)
    ask = ActionRequest(
        Action.REQUEST_EVIDENCE, Role.AGENT, "agent-1", message="发货记录", evidence_from=Party.MERCHANT
    )
    await act(handle, ask)
    await act(handle, merchant(case, Action.EXTEND, extension=timedelta(hours=12), reason="仓库盘点"))


async def proposed(handle: Handle, case: CaseInput) -> None:
    offer = merchant(case, Action.PROPOSE, outcome=Outcome.PARTIAL_REFUND, amount_cents=1000, message="部分退款")
    await act(handle, offer)


async def escalated(handle: Handle, case: CaseInput) -> None:
    await act(handle, merchant(case, Action.ESCALATE, reason="买家描述不实"))


async def return_granted(handle: Handle, case: CaseInput) -> None:
    await act(handle, merchant(case, Action.APPROVE, return_address=ADDRESS))


async def return_shipped(handle: Handle, case: CaseInput) -> None:
    await return_granted(handle, case)
    await act(handle, buyer(case, Action.SHIP_RETURN, carrier="SF", tracking_no=f"R{case.case_id}"))
    moved = TrackingUpdate(f"R{case.case_id}", TrackingStatus.IN_TRANSIT, datetime.now(UTC), "杭州")
    await handle.execute_update(CaseWorkflow.tracking, moved)


async def return_delivered(handle: Handle, case: CaseInput) -> None:
    await return_shipped(handle, case)
    delivered = TrackingUpdate(f"R{case.case_id}", TrackingStatus.DELIVERED, datetime.now(UTC), "杭州")
    await handle.execute_update(CaseWorkflow.tracking, delivered)


async def awaiting_replacement(handle: Handle, case: CaseInput) -> None:
    await return_delivered(handle, case)
    await act(handle, merchant(case, Action.CONFIRM_RECEIPT, condition_ok=True))


async def replacement_shipped(handle: Handle, case: CaseInput) -> None:
    await awaiting_replacement(handle, case)
    await act(handle, merchant(case, Action.SHIP_REPLACEMENT, carrier="YTO", tracking_no=f"X{case.case_id}"))


STATUSES: dict[CaseStatus, tuple[CaseKind, Drive]] = {
    CaseStatus.AWAITING_MERCHANT: (CaseKind.REFUND_ONLY, asked_then_extended),
    CaseStatus.AWAITING_BUYER: (CaseKind.REFUND_ONLY, proposed),
    CaseStatus.IN_ARBITRATION: (CaseKind.REFUND_ONLY, escalated),
    CaseStatus.AWAITING_RETURN_SHIPMENT: (CaseKind.RETURN_REFUND, return_granted),
    CaseStatus.RETURN_IN_TRANSIT: (CaseKind.RETURN_REFUND, return_shipped),
    CaseStatus.AWAITING_RECEIPT: (CaseKind.RETURN_REFUND, return_delivered),
    CaseStatus.AWAITING_REPLACEMENT: (CaseKind.EXCHANGE, awaiting_replacement),
    CaseStatus.REPLACEMENT_IN_TRANSIT: (CaseKind.EXCHANGE, replacement_shipped),
}


def differences(before: Any, after: Any, path: str = "state") -> list[str]:
    """Every field, recursively, whose value differs between the two states."""
    if dataclasses.is_dataclass(before) and dataclasses.is_dataclass(after):
        found: list[str] = []
        for f in dataclasses.fields(before):
            found += differences(getattr(before, f.name), getattr(after, f.name), f"{path}.{f.name}")
        return found
    return [] if before == after else [f"{path}: {before!r} != {after!r}"]


def test_every_open_status_is_continued() -> None:
    assert set(STATUSES) == {status for status in CaseStatus if not status.is_final}


@pytest.mark.parametrize("status", list(STATUSES), ids=str)
async def test_a_case_continued_as_new_starts_its_next_run_with_the_state_it_had(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions, status: CaseStatus
) -> None:
    kind, drive = STATUSES[status]
    case = await add_case(sessions, await add_order(sessions), kind=kind)
    case = dataclasses.replace(case, history_events_limit=LIMIT)
    handle = await start(time_skipping_env, task_queue, case)
    await drive(handle, case)
    assert await handle.query(CaseWorkflow.state) is not None
    first_run = (await handle.describe()).run_id
    said = ActionRequest(Action.MESSAGE, Role.BUYER, case.buyer_id, message="进度如何?")
    for _ in range(30):
        await act(handle, said)
        if (await handle.describe()).run_id != first_run:
            break
    handed_over: CaseState = await time_skipping_env.client.get_workflow_handle(handle.id, run_id=first_run).query(
        CaseWorkflow.state
    )
    taken_up = await time_skipping_env.client.get_workflow_handle(handle.id).query(CaseWorkflow.state)

    assert taken_up.runs >= 2 and taken_up.position.status == status
    assert differences(handed_over, taken_up) == []
    assert taken_up != CaseState(runs=taken_up.runs)  # a state built up by the case, not a fresh one
    if status == CaseStatus.AWAITING_MERCHANT:
        assert taken_up.position.extended and taken_up.position.asked is not None
        again = merchant(case, Action.EXTEND, extension=timedelta(hours=1), reason="再延一次")
        with pytest.raises(WorkflowUpdateFailedError):  # the one extension was used in the earlier run
            await act(handle, again)
    if status == CaseStatus.AWAITING_BUYER:
        assert taken_up.position.proposal is not None
    if kind != CaseKind.REFUND_ONLY and status != CaseStatus.AWAITING_RETURN_SHIPMENT:
        assert taken_up.goods.parcels and taken_up.goods.seen  # the tracking events already on the timeline
    if status == CaseStatus.IN_ARBITRATION:
        await act(handle, ActionRequest(Action.DECIDE, Role.AGENT, "agent-1", outcome=Outcome.REJECT, rationale="x"))
        assert await handle.result() == CaseStatus.REJECTED
    else:  # a case left waiting would step in (and remind) through every later time skip of the session
        await handle.terminate(reason="test over")
