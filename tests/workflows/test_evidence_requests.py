"""A request for evidence waits on the party asked (T-BUYER-REPLY or T-MERCHANT); their upload or message returns the
case to where it was, or to the agent who asked; silence runs out like any wait. The rule book's own needs
(R-EXPIRED's dates, R-NOT-RECEIVED's pickup proof) are asked for on opening. Time-skipping server, real activities
and database."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from models.db import transaction
from models.evidence import Evidence
from rulebook.enums import Action, CaseStatus, EvidenceKind, Party, ReasonCode, Role
from rulebook.timers import Timers
from tests.builders import add_case, add_order
from tests.support.polling import eventually
from tests.workflows.support import event_types, events_of, merchant, messages_to, start, stored
from workflows import agent_desk
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest, CaseInput, EvidenceAdded

Sessions = async_sessionmaker[AsyncSession]
Handle = WorkflowHandle[CaseWorkflow, CaseStatus]
H = timedelta(hours=1)
MARGIN = timedelta(seconds=10)
TIMERS = Timers(merchant=5 * H, buyer_reply=7 * H, agent=11 * H)
DATES = "拍清楚保质期和生产日期"


async def sleep_until(env: WorkflowEnvironment, at: datetime) -> None:
    await env.sleep(max(at - await env.get_current_time(), timedelta(0)))


async def expired_goods(env: WorkflowEnvironment, queue: str, sessions: Sessions) -> tuple[Handle, CaseInput]:
    order = await add_order(sessions)
    case = await add_case(sessions, order, reason=ReasonCode.EXPIRED, timers=TIMERS)
    return await start(env, queue, case), case


async def photo_of_dates(sessions: Sessions, case: CaseInput) -> EvidenceAdded:
    sha, evidence_id = "ef" * 32, f"ev-{case.case_id}"
    async with transaction(sessions) as session:
        session.add(
            Evidence(
                evidence_id=evidence_id, case_id=case.case_id, kind=EvidenceKind.PHOTO, sha256=sha, size_bytes=10,
                media_type="image/png", storage_key=f"{case.case_id}/{sha}.png", note="保质期",
                uploaded_by_role="buyer", uploaded_by_id=case.buyer_id,
            )
        )  # fmt: skip
    return EvidenceAdded(evidence_id, EvidenceKind.PHOTO, sha, "image/png", 10, Role.BUYER, case.buyer_id)


def refusal(error: pytest.ExceptionInfo[WorkflowUpdateFailedError]) -> str | None:
    cause = error.value.cause
    return cause.type if isinstance(cause, ApplicationError) else None


async def test_r_expired_asks_the_buyer_to_photograph_the_dates_on_opening(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    _, case = await expired_goods(time_skipping_env, task_queue, sessions)

    (asked,) = await events_of(sessions, case.case_id, "evidence_requested")
    assert (asked.actor_role, asked.data["from"], asked.data["rule"]) == ("system", "buyer", "R-EXPIRED")
    assert DATES in asked.data["what"]
    assert (await stored(sessions, case.case_id)).status == CaseStatus.AWAITING_MERCHANT  # the merchant's move still
    assert any(DATES in m for m in await messages_to(sessions, case.case_id, Party.BUYER))


async def test_a_refund_only_case_for_a_parcel_not_received_asks_the_buyer_for_the_pickup_proof(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions), reason=ReasonCode.NOT_RECEIVED)
    await start(time_skipping_env, task_queue, case)

    (asked,) = await events_of(sessions, case.case_id, "evidence_requested")
    assert (asked.data["from"], asked.data["rule"]) == ("buyer", "R-NOT-RECEIVED")
    assert "取件码" in asked.data["what"]


async def test_the_merchant_asks_the_buyer_who_answers_and_the_case_returns_to_the_merchant(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    handle, case = await expired_goods(time_skipping_env, task_queue, sessions)
    ask = merchant(case, Action.REQUEST_EVIDENCE, evidence_from=Party.BUYER, message=DATES)

    assert await handle.execute_update(CaseWorkflow.act, ask) == CaseStatus.AWAITING_BUYER
    waiting = await stored(sessions, case.case_id)
    asked = (await events_of(sessions, case.case_id, "evidence_requested"))[-1]
    assert (waiting.awaiting, waiting.deadline) == (Party.BUYER, asked.at + 7 * H)  # T-BUYER-REPLY
    assert (asked.data["timer"], asked.data["asked_by"], asked.data["deadline"]) == (
        "T-BUYER-REPLY",
        "merchant",
        (asked.at + 7 * H).isoformat(),
    )
    assert any(DATES in m and "商家请您" in m for m in await messages_to(sessions, case.case_id, Party.BUYER))
    assert any("已请买家" in m for m in await messages_to(sessions, case.case_id, Party.MERCHANT))

    await time_skipping_env.sleep(6 * H)  # answered in time
    photo = await photo_of_dates(sessions, case)
    assert await handle.execute_update(CaseWorkflow.add_evidence, photo) == CaseStatus.AWAITING_MERCHANT

    back = await stored(sessions, case.case_id)
    (answered,) = await events_of(sessions, case.case_id, "evidence_answered")
    assert (back.awaiting, back.deadline) == (Party.MERCHANT, answered.at + 5 * H)  # T-MERCHANT anew
    assert (answered.data["from"], answered.data["answered_with"]) == ("buyer", "evidence")
    assert (await event_types(sessions, case.case_id))[-2:] == ["evidence_added", "evidence_answered"]
    assert "deadline_passed" not in await event_types(sessions, case.case_id)


async def test_a_buyer_silent_on_a_request_leaves_the_case_to_the_platform(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    handle, case = await expired_goods(time_skipping_env, task_queue, sessions)
    ask = merchant(case, Action.REQUEST_EVIDENCE, evidence_from=Party.BUYER, message=DATES)
    await handle.execute_update(CaseWorkflow.act, ask)
    asked = (await events_of(sessions, case.case_id, "evidence_requested"))[-1]

    await sleep_until(time_skipping_env, asked.at + 7 * H + MARGIN)
    after = await eventually(lambda: stored(sessions, case.case_id), lambda c: c.status != CaseStatus.AWAITING_BUYER)

    assert (after.status, after.awaiting) == (CaseStatus.IN_ARBITRATION, Party.AGENT)
    (passed,) = await events_of(sessions, case.case_id, "deadline_passed")
    assert (passed.data["timer"], passed.data["waited_on"], passed.data["then"]) == (
        "T-BUYER-REPLY",
        "buyer",
        "evidence_not_given",
    )
    assert any("未在时限内补充证据" in m for m in await messages_to(sessions, case.case_id, Party.BUYER))
    assert "evidence_answered" not in await event_types(sessions, case.case_id)


async def agent_asks_the_merchant(env: WorkflowEnvironment, queue: str, sessions: Sessions) -> tuple[Handle, CaseInput]:
    """A case in arbitration whose agent asks the merchant, from the Temporal UI's update dialog."""
    case = await add_case(sessions, await add_order(sessions), timers=TIMERS)
    handle = await start(env, queue, case)
    escalate = merchant(case, Action.ESCALATE, reason="买家描述与事实不符")
    assert await handle.execute_update(CaseWorkflow.act, escalate) == CaseStatus.IN_ARBITRATION
    ask = agent_desk.EvidenceRequest("agent-1", Party.MERCHANT, "发货时的称重记录")
    assert await handle.execute_update("request_evidence", ask) == CaseStatus.AWAITING_MERCHANT
    return handle, case


async def test_the_agent_asks_the_merchant_whose_message_returns_the_case_to_the_agent(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    handle, case = await agent_asks_the_merchant(time_skipping_env, task_queue, sessions)
    asked = (await events_of(sessions, case.case_id, "evidence_requested"))[-1]
    assert (await stored(sessions, case.case_id)).deadline == asked.at + 5 * H  # T-MERCHANT
    assert (asked.actor_role, asked.data["party"], asked.data["timer"]) == ("agent", "merchant", "T-MERCHANT")

    reply = merchant(case, Action.MESSAGE, message="称重记录见附件,1.2kg")
    assert await handle.execute_update(CaseWorkflow.act, reply) == CaseStatus.IN_ARBITRATION

    back = await stored(sessions, case.case_id)
    (answered,) = await events_of(sessions, case.case_id, "evidence_answered")
    assert (back.awaiting, back.deadline) == (Party.AGENT, answered.at + 11 * H)  # T-AGENT
    assert answered.data["answered_with"] == "message"
    assert any("平台客服继续处理" in m for m in await messages_to(sessions, case.case_id, Party.BUYER))


async def test_a_merchant_silent_on_the_agents_request_is_r_timeout(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    _, case = await agent_asks_the_merchant(time_skipping_env, task_queue, sessions)
    asked = (await events_of(sessions, case.case_id, "evidence_requested"))[-1]

    await sleep_until(time_skipping_env, asked.at + 5 * H + MARGIN)
    await eventually(lambda: event_types(sessions, case.case_id), lambda types: "decision_made" in types)

    (passed,) = await events_of(sessions, case.case_id, "deadline_passed")
    assert (passed.data["timer"], passed.data["waited_on"], passed.data["then"]) == (
        "T-MERCHANT",
        "merchant",
        "platform_steps_in",
    )
    (decided,) = await events_of(sessions, case.case_id, "decision_made")
    assert decided.data["rules"][0] == "R-TIMEOUT"


async def test_requests_nobody_may_make_are_refused(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    handle, case = await expired_goods(time_skipping_env, task_queue, sessions)
    own = merchant(case, Action.REQUEST_EVIDENCE, evidence_from=Party.MERCHANT, message="自证")
    by_buyer = ActionRequest(
        Action.REQUEST_EVIDENCE, Role.BUYER, case.buyer_id, evidence_from=Party.MERCHANT, message="x"
    )
    for request, code in ((own, "invalid_request"), (by_buyer, "forbidden")):
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(CaseWorkflow.act, request)
        assert refusal(refused) == code
    assert (await stored(sessions, case.case_id)).status == CaseStatus.AWAITING_MERCHANT
