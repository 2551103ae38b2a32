"""`extend` over HTTP, with a short T-MERCHANT: the answer and the case show the new deadline, the timeline and both
parties' messages say so, refusals have the error shape, and the platform steps in at the new deadline only."""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest_asyncio
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from settings import Settings
from tests.api.helpers import AGENT, act, error, open_case, push_order
from tests.support.polling import eventually

T_MERCHANT = timedelta(seconds=40)
T_AGENT = timedelta(minutes=13)  # distinct from every other wait, so a wait armed with the wrong timer shows
CAP = timedelta(seconds=90)
MARGIN = timedelta(seconds=5)


@pytest_asyncio.fixture
async def short(
    app: FastAPI, api_settings: Settings, time_skipping_env: WorkflowEnvironment
) -> AsyncIterator[AsyncClient]:
    """The API opening cases with a 40 s T-MERCHANT and a 90 s cap on extensions; `app` keeps the worker running."""
    settings = api_settings.model_copy(update={"t_merchant": T_MERCHANT, "t_agent": T_AGENT, "extension_max": CAP})
    short_app: FastAPI = create_app(settings, temporal_client=time_skipping_env.client)
    async with (
        short_app.router.lifespan_context(short_app),
        AsyncClient(transport=ASGITransport(app=short_app), base_url="http://test") as http,
    ):
        yield http


async def test_an_extension_moves_the_short_merchant_deadline_and_the_platform_steps_in_at_the_new_one(
    short: AsyncClient, time_skipping_env: WorkflowEnvironment
) -> None:
    order = await push_order(short)
    case = await open_case(short, order, reason="other")
    case_id, opened_deadline = case["case_id"], _at(case["deadline"])
    assert (case["status"], case["awaiting"]) == ("awaiting_merchant", "merchant")

    past_cap = await act(short, case_id, order.merchant, action="extend", duration="2m", reason="等待仓库核实")
    assert (past_cap.status_code, error(past_cap)["code"]) == (422, "extension_too_long")
    unreadable = await act(short, case_id, order.merchant, action="extend", duration="1.5h", reason="等待仓库核实")
    assert (unreadable.status_code, error(unreadable)["code"]) == (422, "validation_error")
    by_buyer = await act(short, case_id, order.buyer, action="extend", duration="90s", reason="我也想延")
    assert (by_buyer.status_code, error(by_buyer)["code"]) == (403, "forbidden")

    extended = await act(short, case_id, order.merchant, action="extend", duration="90s", reason="等待仓库核实")
    assert extended.status_code == 200, extended.text
    new_deadline = opened_deadline + CAP
    assert (extended.json()["status"], _at(extended.json()["deadline"])) == ("awaiting_merchant", new_deadline)
    assert _at((await short.get(f"/cases/{case_id}", headers=order.buyer)).json()["deadline"]) == new_deadline
    again = await act(short, case_id, order.merchant, action="extend", duration="30s", reason="再延一次")
    assert (again.status_code, error(again)["code"], error(again)["status"]) == (
        409,
        "invalid_state",
        "awaiting_merchant",
    )

    for headers in (order.buyer, order.merchant):
        texts = [n["text"] for n in (await short.get("/notifications", headers=headers)).json()["items"]]
        assert any(t.startswith("商家申请延长处理时间至") and t.endswith(",原因:等待仓库核实") for t in texts), texts

    await time_skipping_env.sleep(_until(opened_deadline + MARGIN, await time_skipping_env.get_current_time()))
    still = (await short.get(f"/cases/{case_id}", headers=order.buyer)).json()
    assert (still["status"], _at(still["deadline"])) == ("awaiting_merchant", new_deadline)

    await time_skipping_env.sleep(_until(new_deadline + MARGIN, await time_skipping_env.get_current_time()))
    after = await eventually(
        lambda: _get(short, case_id, order.buyer), lambda c: c["status"] != "awaiting_merchant", within=30
    )
    assert (after["status"], after["awaiting"]) == ("in_arbitration", "agent")
    assert new_deadline + T_AGENT <= _at(after["deadline"]) < new_deadline + T_AGENT + MARGIN

    timeline = (await short.get(f"/cases/{case_id}/timeline", headers=order.buyer)).json()
    events = timeline["items"]
    assert [e["type"] for e in events][:4] == ["case_opened", "deadline_extended", "deadline_passed", "decision_made"]
    extension, passed = events[1]["data"]["extension"], events[2]["data"]
    assert (extension["duration"], extension["reason"]) == ("90s", "等待仓库核实")
    assert (_at(extension["old_deadline"]), _at(extension["new_deadline"])) == (opened_deadline, new_deadline)
    assert (passed["timer"], passed["wait"], passed["then"], _at(passed["deadline"])) == (
        "T-MERCHANT",
        "40s",
        "platform_steps_in",
        new_deadline,
    )
    assert passed["extension"]["duration"] == "90s"
    # Closed, so its 13-minute T-AGENT does not remind through every later test's time skips.
    closed = await act(short, case_id, AGENT, action="decide", outcome="reject", rationale="测试结束")
    assert closed.json()["status"] == "rejected", closed.text


async def _get(http: AsyncClient, case_id: str, headers: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = (await http.get(f"/cases/{case_id}", headers=headers)).json()
    return body


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _until(at: datetime, now: datetime) -> timedelta:
    return max(at - now, timedelta(0))
