"""SM-01: a model of the case lifecycle against the real service — cases of each kind opened, every party's commands
(approve, reject, propose, accept, decline, escalate, withdraw, extend, decide, returns shipped and received),
deadlines running out on the time-skipping server, and the last request retried with its key — checked after
every step against the rule book:

- a command the service took is one `rulebook.transitions` allows from the status the case was in, and lands where
  the table says (or, for a decision, where its outcome leads); a command it refused with 409 or 403 is one the
  table refuses too; no answer is a 5xx;
- a status changes only along the table's edges and the timers' and tracking's own moves;
- a closed case never changes again (status and timeline);
- no order ever refunds more than was paid; the same request sent again with its key gets the same answer;
- every case's timeline verifies.

The suite runs a short profile; the plan's full one (200 runs of 30 steps) is opt-in:
`AFTERSALES_SM_EXAMPLES=200 AFTERSALES_SM_STEPS=30 .venv/bin/python -m pytest tests/api/test_case_lifecycle_*.py`.
Timers are minutes long (`SHORT_TIMERS`), so the run moves the shared test server's clock by hours, not days.
"""

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Coroutine
from datetime import datetime, timedelta
from typing import Any

import pytest_asyncio
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient, Response
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from rulebook.enums import Action, CaseKind, CaseStatus, Role
from settings import Settings
from tests.api.case_lifecycle_model import Model, Tracked
from tests.api.helpers import AGENT, SYSTEM, auth, new_id, push_order
from tests.support.polling import eventually

EXAMPLES = int(os.environ.get("AFTERSALES_SM_EXAMPLES", "6"))
STEPS = int(os.environ.get("AFTERSALES_SM_STEPS", "12"))
KINDS = [CaseKind.REFUND_ONLY, CaseKind.RETURN_REFUND, CaseKind.EXCHANGE, CaseKind.NOT_RECEIVED]
REASONS = {CaseKind.NOT_RECEIVED: "not_received"}
PAID = 9900
SHORT_TIMERS = {
    "t_merchant": timedelta(minutes=20),
    "t_buyer_reply": timedelta(minutes=20),
    "t_receipt": timedelta(minutes=20),
    "t_buyer_ship": timedelta(minutes=60),
    "t_agent": timedelta(minutes=60),
    "t_stall": timedelta(minutes=60),
}
WAITS = [timedelta(minutes=m) for m in (10, 25, 65)]  # before, past the 20-minute and past the 60-minute timers


@pytest_asyncio.fixture
async def short(
    app: FastAPI, api_settings: Settings, time_skipping_env: WorkflowEnvironment
) -> AsyncIterator[AsyncClient]:
    """The API opening cases with minutes-long timers (`app` keeps the worker running): the run skips hours of the
    shared test server's clock, not days, so the other tests' cases left waiting are not woken again and again."""
    settings = api_settings.model_copy(update=SHORT_TIMERS)
    short_app: FastAPI = create_app(settings, temporal_client=time_skipping_env.client)
    async with (
        short_app.router.lifespan_context(short_app),
        AsyncClient(transport=ASGITransport(app=short_app), base_url="http://test") as http,
    ):
        yield http


def test_the_case_lifecycle_follows_the_rule_book_whatever_the_parties_and_the_clock_do(
    session_loop: asyncio.AbstractEventLoop, short: AsyncClient, time_skipping_env: WorkflowEnvironment
) -> None:
    class Lifecycle(CaseLifecycle):
        loop, http, env = session_loop, short, time_skipping_env

    Lifecycle.TestCase.settings = settings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # the service keeps each run's cases: replaying a run to shrink it is not the same run
        suppress_health_check=list(HealthCheck),
    )
    Lifecycle.TestCase().runTest()


ROLES = [Role.BUYER, Role.MERCHANT, Role.AGENT]
PARCEL_SENDERS = {
    CaseStatus.AWAITING_RETURN_SHIPMENT: (Action.SHIP_RETURN, Role.BUYER),
    CaseStatus.AWAITING_REPLACEMENT: (Action.SHIP_REPLACEMENT, Role.MERCHANT),
}
ACTIONS: dict[Action, dict[str, Any]] = {
    Action.APPROVE: {"return_address": "杭州退货仓"},
    Action.REJECT: {"reason": "商品无质量问题"},
    Action.PROPOSE: {"outcome": "partial_refund", "amount_cents": 3000, "message": "部分退款"},
    Action.ACCEPT_PROPOSAL: {},
    Action.DECLINE_PROPOSAL: {},
    Action.ESCALATE: {"reason": "请平台介入"},
    Action.WITHDRAW: {},
    Action.EXTEND: {"duration": "30m", "reason": "等待仓库核实"},
    Action.DECIDE: {"outcome": "refund", "rationale": "平台判定"},
    Action.CONFIRM_RECEIPT: {"condition_ok": True},
    Action.MESSAGE: {"text": "请尽快处理"},
}


class CaseLifecycle(RuleBasedStateMachine):
    loop: asyncio.AbstractEventLoop
    http: AsyncClient
    env: WorkflowEnvironment

    def __init__(self) -> None:
        super().__init__()
        self.model = Model()
        self.last: tuple[str, dict[str, Any], dict[str, str], Response] | None = None

    def teardown(self) -> None:
        """The run's cases are test material: ended, so later tests' skipped time does not wake them all."""
        for case in self.model.cases:
            with contextlib.suppress(RPCError):
                self.run(self.env.client.get_workflow_handle(f"case-{case.case_id}").terminate("the run is over"))

    def run(self, step: Coroutine[Any, Any, Any]) -> Any:
        return self.loop.run_until_complete(step)

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> Response:
        keyed = {**headers, "Idempotency-Key": uuid.uuid4().hex}
        response: Response = self.run(self.http.post(path, json=body, headers=keyed))
        assert response.status_code < 500, (path, body, response.status_code, response.text)
        self.last = (path, body, keyed, response)
        return response

    def has_cases(self) -> bool:
        return bool(self.model.cases)

    # --- what the parties and the clock do --------------------------------------------------------

    @rule(kind=st.sampled_from(KINDS), shipped=st.booleans())
    def open(self, kind: CaseKind, shipped: bool) -> None:
        order = self.run(push_order(self.http, shipped=shipped, delivered=kind != CaseKind.NOT_RECEIVED))
        body = {"order_id": order.order_id, "kind": kind, "reason": REASONS.get(kind, "quality_defect")}
        response = self.post("/cases", body, order.buyer)
        if response.status_code == 201:
            self.model.opened(Tracked(response.json()["case_id"], kind, order, response.json()["status"]))

    @precondition(has_cases)
    @rule(index=st.integers(0, 50), choice=st.integers(0, 50), anything=st.integers(0, 3), role=st.sampled_from(ROLES))
    def act(self, index: int, choice: int, anything: int, role: Role) -> None:
        """Mostly a command the table allows someone now (so cases go deep), else any command as anyone."""
        case = self.model.pick(index)
        before = self.model.read(self.run(self._get(case)), self.run(self._timeline(case)))
        allowed = [(a, r) for r in ROLES for a in self.model.allowed(case, before, r) if a in ACTIONS]
        if allowed and anything:
            action, role = allowed[choice % len(allowed)]
        else:
            action = list(ACTIONS)[choice % len(ACTIONS)]
        body = {"action": action, **ACTIONS[action]}
        response = self.post(f"/cases/{case.case_id}/actions", body, self._as(case, role))
        self.model.answered(case, before, action, role, response)

    @precondition(has_cases)
    @rule(index=st.integers(0, 50))
    def a_parcel_goes_and_arrives(self, index: int) -> None:
        """The buyer ships the return (or the merchant the replacement) and the courier delivers it."""
        waiting = [c for c in self.model.cases if c.status in PARCEL_SENDERS] or self.model.cases
        case = waiting[index % len(waiting)]
        action, role = PARCEL_SENDERS.get(case.status, (Action.SHIP_RETURN, Role.BUYER))
        before = self.model.read(self.run(self._get(case)), self.run(self._timeline(case)))
        tracking_no = new_id("SFR")
        body = {"action": action, "carrier": "SF", "tracking_no": tracking_no}
        shipped = self.post(f"/cases/{case.case_id}/actions", body, self._as(case, role))
        self.model.answered(case, before, action, role, shipped)
        if shipped.status_code == 200:
            event = {"tracking_no": tracking_no, "status": "delivered", "at": "2026-11-30T10:00:00+00:00"}
            assert self.post("/logistics/events", event, SYSTEM).status_code == 202
            self.run(self._settled())

    @precondition(has_cases)
    @rule(wait=st.sampled_from(WAITS))
    def time_passes(self, wait: timedelta) -> None:
        self.run(self.env.sleep(wait))
        self.run(self._settled())

    @precondition(lambda self: self.last is not None)
    @rule()
    def retry_the_last_request(self) -> None:
        """The same request with the same key: the same answer when the first was taken; never a 5xx."""
        assert self.last is not None
        path, body, headers, first = self.last
        again = self.run(self.http.post(path, json=body, headers=headers))
        if first.is_success:
            assert (again.status_code, again.content) == (first.status_code, first.content), again.text
        else:
            assert again.status_code < 500, again.text

    # --- what must hold after every step ---------------------------------------------------------

    @invariant()
    def cases_move_only_along_the_rule_book_money_stays_within_what_was_paid_and_chains_verify(self) -> None:
        for case in self.model.cases:
            current = self.run(self._get(case))
            timeline = self.run(self.http.get(f"/cases/{case.case_id}/timeline", headers=case.order.buyer)).json()
            self.model.observed(case, current, len(timeline["items"]))
            order = self.run(self.http.get(f"/orders/{case.order.order_id}", headers=case.order.buyer)).json()
            assert order["refunded_cents"] <= order["paid_cents"] == PAID, order
            assert order["refunded_cents"] + order["refundable_cents"] == PAID, order
            if case.verified_at != len(timeline["items"]):  # each new event: the chain checked again
                verified = self.run(self.http.get(f"/cases/{case.case_id}/verify", headers=case.order.buyer)).json()
                assert verified["valid"] is True, (case.case_id, verified)
                case.verified_at = len(timeline["items"])

    # --- plumbing ------------------------------------------------------------------------------------

    async def _get(self, case: Tracked) -> dict[str, Any]:
        response = await self.http.get(f"/cases/{case.case_id}", headers=case.order.buyer)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def _timeline(self, case: Tracked) -> list[dict[str, Any]]:
        response = await self.http.get(f"/cases/{case.case_id}/timeline", headers=AGENT)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def _as(self, case: Tracked, role: Role) -> dict[str, str]:
        return {Role.BUYER: case.order.buyer, Role.MERCHANT: case.order.merchant, Role.AGENT: AGENT}.get(
            role, auth(role, "someone")
        )

    async def _settled(self) -> None:
        """What the clock or the courier set off is done: each open case waits on a deadline still ahead."""
        now = await self.env.get_current_time()
        for case in self.model.cases:
            await eventually(lambda c=case: self._get(c), lambda c: _waiting(c, now), within=20)


def _waiting(case: dict[str, Any], now: datetime) -> bool:
    if CaseStatus(case["status"]).is_final or case["deadline"] is None:
        return True
    return datetime.fromisoformat(case["deadline"]) > now
