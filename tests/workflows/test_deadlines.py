"""Deadlines on the time-skipping server: the merchant's one extension re-arms the running wait, paused days move
buyer- and merchant-facing deadlines out by exactly the paused time, and R-7D is never moved by a pause.

Every wait has its own length here, so a wait armed with the wrong timer misses its mark."""

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from models.db import transaction
from models.shop_settings import ShopSettings
from rulebook.business_calendar import SHANGHAI, day_pause
from rulebook.deadlines import DeadlinePolicy
from rulebook.enums import Action, CaseKind, CaseStatus, Party, ReasonCode, Role
from rulebook.timers import Timers
from tests.builders import add_case, add_order
from tests.support.polling import eventually
from tests.workflows.support import events_of, merchant, messages_to, start, stored
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest, CaseInput

Sessions = async_sessionmaker[AsyncSession]
H = timedelta(hours=1)
D = timedelta(days=1)
MARGIN = timedelta(seconds=10)
TIMERS = Timers(merchant=5 * H, buyer_ship=6 * D, receipt=41 * H, buyer_reply=7 * H, agent=11 * H, stall=73 * H)


async def sleep_until(env: WorkflowEnvironment, at: datetime) -> None:
    await env.sleep(max(at - await env.get_current_time(), timedelta(0)))


async def opened_at(sessions: Sessions, case: CaseInput) -> datetime:
    (opened,) = await events_of(sessions, case.case_id, "case_opened")
    return opened.at


def refusal(error: pytest.ExceptionInfo[WorkflowUpdateFailedError]) -> str | None:
    cause = error.value.cause
    return cause.type if isinstance(cause, ApplicationError) else None


def tomorrow_in_shanghai(now: datetime) -> date:
    """Its 00:00 is less than 24 h away."""
    return (now.astimezone(SHANGHAI) + D).date()


async def test_an_extension_re_arms_the_wait_no_step_in_at_the_old_deadline_and_one_at_the_new(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions), timers=TIMERS)
    handle = await start(time_skipping_env, task_queue, case)
    set_at = await opened_at(sessions, case)
    old_deadline, new_deadline = set_at + 5 * H, set_at + 8 * H

    extend = merchant(case, Action.EXTEND, extension=3 * H, reason="等待仓库核实库存")
    assert await handle.execute_update(CaseWorkflow.act, extend) == CaseStatus.AWAITING_MERCHANT
    assert (await stored(sessions, case.case_id)).deadline == new_deadline
    (extended,) = await events_of(sessions, case.case_id, "deadline_extended")
    assert (extended.actor_role, extended.data["timer"], extended.data["deadline"]) == (
        Role.MERCHANT,
        "T-MERCHANT",
        new_deadline.isoformat(),
    )
    assert {k: extended.data["extension"][k] for k in ("duration", "reason", "old_deadline", "new_deadline")} == {
        "duration": "3h",
        "reason": "等待仓库核实库存",
        "old_deadline": old_deadline.isoformat(),
        "new_deadline": new_deadline.isoformat(),
    }
    for party in (Party.BUYER, Party.MERCHANT):
        told = [m for m in await messages_to(sessions, case.case_id, party) if m.startswith("商家申请延长处理时间至")]
        assert told == ["商家申请延长处理时间至" + _beijing(new_deadline) + ",原因:等待仓库核实库存"]
    attributes = {key.name: value for key, value in (await handle.describe()).typed_search_attributes}
    assert attributes["DeadlineAt"] == new_deadline

    await sleep_until(time_skipping_env, old_deadline + MARGIN)
    assert (await stored(sessions, case.case_id)).status == CaseStatus.AWAITING_MERCHANT
    assert await events_of(sessions, case.case_id, "deadline_passed") == []

    await sleep_until(time_skipping_env, new_deadline + MARGIN)
    after = await eventually(lambda: stored(sessions, case.case_id), lambda c: c.status != CaseStatus.AWAITING_MERCHANT)
    (passed,) = await events_of(sessions, case.case_id, "deadline_passed")
    assert new_deadline <= passed.at < new_deadline + MARGIN
    assert after.status == CaseStatus.IN_ARBITRATION and after.deadline is not None
    assert new_deadline <= after.deadline - 11 * H < new_deadline + MARGIN  # T-AGENT next, from the step-in
    assert {k: passed.data[k] for k in ("timer", "set_at", "wait", "paused", "deadline", "waited_on", "then")} == {
        "timer": "T-MERCHANT",
        "set_at": set_at.isoformat(),
        "wait": "5h",
        "paused": None,
        "deadline": new_deadline.isoformat(),
        "waited_on": "merchant",
        "then": "platform_steps_in",
    }
    assert passed.data["extension"]["reason"] == "等待仓库核实库存"
    (decided,) = await events_of(sessions, case.case_id, "decision_made")
    assert "R-TIMEOUT" in decided.data["rules"]
    for party in (Party.BUYER, Party.MERCHANT):
        (told,) = [m for m in await messages_to(sessions, case.case_id, party) if "商家答复期限已到期" in m]
        assert f"设定于{_beijing(set_at)},时长5小时,含商家申请的延长3小时,截止{_beijing(new_deadline)}" in told
        assert told.endswith("商家未在时限内处理,平台已按规则自动介入。")


async def test_a_second_extension_and_one_past_the_cap_are_refused(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions), timers=TIMERS)
    case = dataclasses.replace(case, deadlines=DeadlinePolicy(extension_max=2 * H))
    handle = await start(time_skipping_env, task_queue, case)
    set_at = await opened_at(sessions, case)

    with pytest.raises(WorkflowUpdateFailedError) as too_long:
        await handle.execute_update(
            CaseWorkflow.act, merchant(case, Action.EXTEND, extension=2 * H + MARGIN, reason="再等等")
        )
    assert refusal(too_long) == "extension_too_long"
    by_buyer = ActionRequest(Action.EXTEND, Role.BUYER, case.buyer_id, extension=H, reason="我也想延")
    with pytest.raises(WorkflowUpdateFailedError) as not_theirs:
        await handle.execute_update(CaseWorkflow.act, by_buyer)
    assert refusal(not_theirs) == "forbidden"
    assert (await stored(sessions, case.case_id)).deadline == set_at + 5 * H

    at_the_cap = merchant(case, Action.EXTEND, extension=2 * H, reason="等待仓库核实库存")
    assert await handle.execute_update(CaseWorkflow.act, at_the_cap) == CaseStatus.AWAITING_MERCHANT
    with pytest.raises(WorkflowUpdateFailedError) as second:
        await handle.execute_update(CaseWorkflow.act, merchant(case, Action.EXTEND, extension=H, reason="再延一次"))
    assert refusal(second) == "invalid_state"

    assert (await stored(sessions, case.case_id)).deadline == set_at + 7 * H
    assert len(await events_of(sessions, case.case_id, "deadline_extended")) == 1


async def test_an_extension_is_refused_when_the_case_does_not_await_the_merchant(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    case = await add_case(sessions, await add_order(sessions), timers=TIMERS)
    handle = await start(time_skipping_env, task_queue, case)
    propose = merchant(case, Action.REJECT, reason="商品无质量问题")
    assert await handle.execute_update(CaseWorkflow.act, propose) == CaseStatus.AWAITING_BUYER
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(CaseWorkflow.act, merchant(case, Action.EXTEND, extension=H, reason="再等等"))
    assert refusal(refused) == "invalid_state"


async def test_a_case_opened_before_a_pause_steps_in_after_it_by_exactly_the_paused_time(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    first = tomorrow_in_shanghai(await time_skipping_env.get_current_time())
    pause = day_pause(first, first + D)  # two Shanghai days: 48 h, beginning within T-MERCHANT's 30 h
    case = await add_case(sessions, await add_order(sessions), timers=dataclasses.replace(TIMERS, merchant=30 * H))
    case = dataclasses.replace(case, deadlines=DeadlinePolicy(paused=(pause,)))
    await start(time_skipping_env, task_queue, case)
    set_at = await opened_at(sessions, case)
    deadline = set_at + 30 * H + 48 * H
    assert set_at < pause.start < set_at + 30 * H

    opened = await stored(sessions, case.case_id)
    assert opened.deadline == deadline  # the deadline shown includes the pause already
    (opened_event,) = await events_of(sessions, case.case_id, "case_opened")
    assert opened_event.data["deadline"] == deadline.isoformat()

    await sleep_until(time_skipping_env, set_at + 30 * H + MARGIN)  # where the deadline would be without the pause
    assert (await stored(sessions, case.case_id)).status == CaseStatus.AWAITING_MERCHANT
    await sleep_until(time_skipping_env, deadline - MARGIN)
    assert (await stored(sessions, case.case_id)).status == CaseStatus.AWAITING_MERCHANT

    await sleep_until(time_skipping_env, deadline + MARGIN)
    after = await eventually(lambda: stored(sessions, case.case_id), lambda c: c.status != CaseStatus.AWAITING_MERCHANT)
    (passed,) = await events_of(sessions, case.case_id, "deadline_passed")
    assert deadline <= passed.at < deadline + MARGIN
    assert after.status == CaseStatus.IN_ARBITRATION and after.deadline is not None
    assert deadline <= after.deadline - 11 * H < deadline + MARGIN  # T-AGENT: the platform's own wait, not paused
    assert (passed.data["timer"], passed.data["wait"], passed.data["paused"], passed.data["extension"]) == (
        "T-MERCHANT",
        "30h",
        "48h",
        None,
    )
    assert passed.data["pauses"] == [{"start": pause.start.isoformat(), "end": pause.end.isoformat()}]
    (told,) = [m for m in await messages_to(sessions, case.case_id, Party.BUYER) if "商家答复期限已到期" in m]
    assert "时长30小时,已顺延平台暂停的48小时" in told


async def test_a_paused_return_shipment_wait_warns_the_buyer_a_day_before_the_moved_deadline(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    """T-BUYER-SHIP (50 h here) is buyer-facing: a paused day moves it out, and the warning with it."""
    first = tomorrow_in_shanghai(await time_skipping_env.get_current_time())
    timers = dataclasses.replace(TIMERS, buyer_ship=50 * H)
    case = await add_case(sessions, await add_order(sessions), kind=CaseKind.RETURN_REFUND, timers=timers)
    case = dataclasses.replace(case, deadlines=DeadlinePolicy(paused=(day_pause(first, first),)))
    handle = await start(time_skipping_env, task_queue, case)
    approve = merchant(case, Action.APPROVE, return_address="退货仓 A")
    assert await handle.execute_update(CaseWorkflow.act, approve) == CaseStatus.AWAITING_RETURN_SHIPMENT
    (requested,) = await events_of(sessions, case.case_id, "return_requested")
    deadline = requested.at + 50 * H + D
    assert (await stored(sessions, case.case_id)).deadline == deadline
    assert requested.data["deadline"] == deadline.isoformat()

    await sleep_until(time_skipping_env, deadline - D - MARGIN)  # a day before the unpaused deadline is long past
    assert await events_of(sessions, case.case_id, "return_ship_warning") == []
    await sleep_until(time_skipping_env, deadline - D + MARGIN)
    (warning,) = await eventually(lambda: events_of(sessions, case.case_id, "return_ship_warning"), bool)
    assert warning.data["deadline"] == deadline.isoformat()

    await sleep_until(time_skipping_env, deadline + MARGIN)
    closed = await eventually(lambda: stored(sessions, case.case_id), lambda c: c.status.is_final)
    assert closed.status == CaseStatus.WITHDRAWN
    (passed,) = await events_of(sessions, case.case_id, "deadline_passed")
    assert (passed.data["timer"], passed.data["wait"], passed.data["paused"], passed.data["then"]) == (
        "T-BUYER-SHIP",
        "50h",
        "24h",
        "request_closes",
    )


async def test_t_agent_running_out_is_a_deadline_passed_too_and_is_not_paused(
    time_skipping_env: WorkflowEnvironment, task_queue: str, sessions: Sessions
) -> None:
    today = (await time_skipping_env.get_current_time()).astimezone(SHANGHAI).date()
    case = await add_case(sessions, await add_order(sessions), timers=TIMERS)
    case = dataclasses.replace(case, deadlines=DeadlinePolicy(paused=(day_pause(today, today + D),)))  # paused now
    handle = await start(time_skipping_env, task_queue, case)
    escalate = merchant(case, Action.ESCALATE, reason="买家描述与事实不符")
    assert await handle.execute_update(CaseWorkflow.act, escalate) == CaseStatus.IN_ARBITRATION
    (escalated,) = await events_of(sessions, case.case_id, "escalated")
    assert (await stored(sessions, case.case_id)).deadline == escalated.at + 11 * H

    await sleep_until(time_skipping_env, escalated.at + 11 * H + MARGIN)
    (passed,) = await eventually(lambda: events_of(sessions, case.case_id, "deadline_passed"), bool)
    assert (passed.data["timer"], passed.data["wait"], passed.data["paused"], passed.data["then"]) == (
        "T-AGENT",
        "11h",
        None,
        "agent_reminded",
    )
    assert await events_of(sessions, case.case_id, "agent_reminder") != []
    for party in (Party.BUYER, Party.MERCHANT):
        assert any("客服处理期限已到期" in m for m in await messages_to(sessions, case.case_id, party))


@pytest.mark.parametrize(
    ("delivered_days_ago", "after_silence"),
    [
        (7, CaseStatus.AWAITING_RETURN_SHIPMENT),  # asked on day 7: granted, though the pause runs past it
        (9, CaseStatus.IN_ARBITRATION),  # asked after the seven days: a pause that covered them gives no days back
    ],
)
async def test_r_7d_is_not_moved_by_a_pause(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    sessions: Sessions,
    delivered_days_ago: int,
    after_silence: CaseStatus,
) -> None:
    """A pause moves the merchant's deadline past the seven days (which end within a day of the request on day 7);
    R-TIMEOUT still judges R-7D as of the buyer's request. The other way round, paused days inside the seven days do
    not lengthen them."""
    delivered_at = datetime.now(UTC) - delivered_days_ago * D
    delivery_day = delivered_at.astimezone(SHANGHAI).date()
    first = tomorrow_in_shanghai(await time_skipping_env.get_current_time())
    pauses = (day_pause(delivery_day + 2 * D, delivery_day + 5 * D), day_pause(first, first))
    order = await add_order(sessions, delivered_at=delivered_at)
    async with transaction(sessions) as session:  # where a return granted by R-TIMEOUT goes
        session.add(ShopSettings(shop_id=order.shop_id, return_address="上海退货仓"))
    timers = dataclasses.replace(TIMERS, merchant=30 * H)
    case = await add_case(sessions, order, kind=CaseKind.RETURN_REFUND, reason=ReasonCode.NO_REASON, timers=timers)
    case = dataclasses.replace(case, deadlines=DeadlinePolicy(paused=pauses))
    await start(time_skipping_env, task_queue, case)
    deadline = (await stored(sessions, case.case_id)).deadline
    assert deadline == await opened_at(sessions, case) + 30 * H + D

    await sleep_until(time_skipping_env, deadline + MARGIN)
    after = await eventually(lambda: stored(sessions, case.case_id), lambda c: c.status != CaseStatus.AWAITING_MERCHANT)
    (decided,) = await events_of(sessions, case.case_id, "decision_made")
    assert after.status == after_silence
    if after_silence == CaseStatus.AWAITING_RETURN_SHIPMENT:
        assert {"R-TIMEOUT", "R-7D"} <= set(decided.data["rules"])
    else:
        assert decided.data["outcome"] == "to_agent"
        assert any("七天" in finding for finding in decided.data["findings"])


def _beijing(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") + "(北京时间)"
