"""MONEY-01: whatever several cases of one order do — random kinds, approvals, proposals accepted, agent decisions,
returns received, duplicate and retried requests — refunds never exceed what was paid, per order and per item line,
after every step. Real workflows on the time-skipping server, a real database, the API over httpx."""

import asyncio
import contextlib
import uuid
from collections.abc import Coroutine
from typing import Any

from httpx import AsyncClient, Response
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from models.ledger import HOLDS_MONEY, LedgerEntry
from tests.api.helpers import AGENT, SYSTEM, OrderRef, new_id, order_body

Sessions = async_sessionmaker[AsyncSession]
LINES = {"tee-1": (3000, 1), "socks-1": (1000, 4)}  # sku → (unit price, quantity): 7 000 paid
PAID = 7000
EXPECTED = {200, 201, 409, 422, 429}  # every answer a step may get (429: a buyer cap); a 5xx is a failure


def test_refunds_never_exceed_what_was_paid_across_random_cases_of_one_order(
    session_loop: asyncio.AbstractEventLoop, client: AsyncClient, db: Sessions, time_skipping_env: WorkflowEnvironment
) -> None:
    class OneOrder(MoneyOfOneOrder):
        loop, http, sessions, temporal = session_loop, client, db, time_skipping_env.client

    run = settings(
        max_examples=15,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    OneOrder.TestCase.settings = run
    OneOrder.TestCase().runTest()


class MoneyOfOneOrder(RuleBasedStateMachine):
    loop: asyncio.AbstractEventLoop
    http: AsyncClient
    sessions: Sessions
    temporal: Client

    def __init__(self) -> None:
        super().__init__()
        body = order_body(new_id("order"), new_id("buyer"), new_id("shop"), total_cents=PAID)
        tee = body["items"][0] | {"unit_price_cents": 3000}
        socks = body["items"][0] | {"sku": "socks-1", "title": "袜子", "quantity": 4, "unit_price_cents": 1000}
        body["items"] = [tee, socks]
        self.order = OrderRef(body["order_id"], body["buyer_id"], body["shop_id"], PAID, None)
        self.cases: list[str] = []
        self.last: tuple[str, dict[str, Any], dict[str, str], Response] | None = None
        self.run(self.post("/orders", body, SYSTEM))
        shipment = {"carrier": "SF", "tracking_no": new_id("SF")}
        self.run(self.post(f"/orders/{self.order.order_id}/shipments", shipment, SYSTEM))
        delivered = {"tracking_no": shipment["tracking_no"], "status": "delivered", "at": "2026-11-28T10:00:00+00:00"}
        self.run(self.post("/logistics/events", delivered, SYSTEM))

    def teardown(self) -> None:
        """The run's cases are test material: ended, so later tests' skipped time does not wake them all."""
        for case_id in self.cases:
            self.run(self.end(case_id))

    async def end(self, case_id: str) -> None:
        with contextlib.suppress(RPCError):  # closed already
            await self.temporal.get_workflow_handle(f"case-{case_id}").terminate("the test run is over")

    # --- plumbing ---------------------------------------------------------------------------------

    def run(self, step: Coroutine[Any, Any, Any]) -> Any:
        return self.loop.run_until_complete(step)

    async def post(self, path: str, body: dict[str, Any], headers: dict[str, str], keyed: bool = True) -> Response:
        headers = {**headers, "Idempotency-Key": uuid.uuid4().hex} if keyed else headers
        response = await self.http.post(path, json=body, headers=headers)
        assert response.status_code in EXPECTED | {202}, (path, body, response.status_code, response.text)
        self.last = (path, body, headers, response)
        return response

    def act(self, case: int, headers: dict[str, str], **body: Any) -> Response:
        response: Response = self.run(self.post(f"/cases/{self.cases[case]}/actions", body, headers))
        return response

    def status(self, case: int) -> str:
        response = self.run(self.http.get(f"/cases/{self.cases[case]}", headers=self.order.buyer))
        return str(response.json()["status"])

    def has_cases(self) -> bool:
        return bool(self.cases)

    cases_index = st.integers(min_value=0, max_value=7)

    def pick(self, index: int) -> int:
        return index % len(self.cases)

    # --- what the parties do ----------------------------------------------------------------------

    @initialize()
    def two_requests_claim_the_whole_order(self) -> None:
        """Every run starts with a refund and a return both asking the whole order, before either is paid."""
        for kind in ("refund_only", "return_refund"):
            self.open(kind, None, None)

    @rule(
        kind=st.sampled_from(["refund_only", "return_refund", "exchange"]),
        items=st.sampled_from([None, [{"sku": "socks-1", "quantity": 2}], [{"sku": "tee-1", "quantity": 1}]]),
        amount=st.one_of(st.none(), st.integers(min_value=1, max_value=PAID + 1000)),
    )
    def open(self, kind: str, items: list[dict[str, Any]] | None, amount: int | None) -> None:
        body: dict[str, Any] = {"order_id": self.order.order_id, "kind": kind, "reason": "quality_defect"}
        body |= {"items": items} if items else {}
        body |= {"amount_cents": amount} if amount else {}
        response = self.run(self.post("/cases", body, self.order.buyer))
        if response.status_code == 201:
            self.cases.append(response.json()["case_id"])

    @precondition(has_cases)
    @rule(index=cases_index)
    def approve(self, index: int) -> None:
        self.act(self.pick(index), self.order.merchant, action="approve", return_address="杭州退货仓")

    @precondition(has_cases)
    @rule(index=cases_index)
    def twin_approvals(self, index: int) -> None:
        """The same approval sent twice at once with one key: one effect, one answer."""
        path = f"/cases/{self.cases[self.pick(index)]}/actions"
        headers = {**self.order.merchant, "Idempotency-Key": uuid.uuid4().hex}

        async def twice() -> list[Response]:
            send = [self.http.post(path, json={"action": "approve"}, headers=headers) for _ in range(2)]
            return list(await asyncio.gather(*send))

        for response in self.run(twice()):
            assert response.status_code in EXPECTED, response.text

    @precondition(has_cases)
    @rule(index=cases_index, amount=st.integers(min_value=1, max_value=PAID))
    def partial_refund_accepted(self, index: int, amount: int) -> None:
        case = self.pick(index)
        proposed = self.act(
            case,
            self.order.merchant,
            action="propose",
            outcome="partial_refund",
            amount_cents=amount,
            message="部分退款",
        )
        if proposed.status_code == 200:
            self.act(case, self.order.buyer, action="accept_proposal")

    @precondition(has_cases)
    @rule(
        index=cases_index,
        outcome=st.sampled_from(["refund", "partial_refund"]),
        amount=st.integers(min_value=1, max_value=PAID),
    )
    def agent_decides(self, index: int, outcome: str, amount: int) -> None:
        case = self.pick(index)
        self.act(case, self.order.merchant, action="reject", reason="不同意")
        self.act(case, self.order.buyer, action="escalate", reason="请平台介入")
        fields = {"amount_cents": amount} if outcome == "partial_refund" else {}
        self.act(case, AGENT, action="decide", outcome=outcome, rationale="平台判定", **fields)

    @precondition(has_cases)
    @rule(index=cases_index)
    def goods_come_back(self, index: int) -> None:
        case = self.pick(index)
        if self.status(case) != "awaiting_return_shipment":
            return
        tracking_no = new_id("SFR")
        self.act(case, self.order.buyer, action="ship_return", carrier="SF", tracking_no=tracking_no)
        event = {"tracking_no": tracking_no, "status": "delivered", "at": "2026-11-30T10:00:00+00:00"}
        self.run(self.post("/logistics/events", event, SYSTEM))
        self.act(case, self.order.merchant, action="confirm_receipt", condition_ok=True)

    @precondition(lambda self: self.last is not None)
    @rule()
    def retry_the_last_request(self) -> None:
        """A client retrying its last request with the same key gets the same answer when the first succeeded (a
        refused request is weighed afresh), and nothing happens twice."""
        assert self.last is not None
        path, body, headers, first = self.last
        again = self.run(self.http.post(path, json=body, headers=headers))
        if first.is_success:
            assert (again.status_code, again.content) == (first.status_code, first.content)
        else:
            assert again.status_code in EXPECTED, again.text

    # --- what must hold after every step ---------------------------------------------------------

    @invariant()
    def refunds_never_exceed_what_was_paid(self) -> None:
        order = self.run(self.http.get(f"/orders/{self.order.order_id}", headers=self.order.buyer)).json()
        assert order["refunded_cents"] <= order["paid_cents"] == PAID
        assert order["refunded_cents"] + order["refundable_cents"] == PAID
        moves = self.run(self.ledger())
        holding = [m for m in moves if m.kind == "refund" and m.status in HOLDS_MONEY]
        assert sum(m.amount_cents for m in holding) == order["refunded_cents"]
        for sku, (unit, quantity) in LINES.items():
            assert sum((m.lines or {}).get(sku, 0) for m in holding) <= unit * quantity

    async def ledger(self) -> list[LedgerEntry]:
        async with self.sessions() as session:
            rows = await session.exec(select(LedgerEntry).where(LedgerEntry.order_id == self.order.order_id))
            return list(rows.all())
