"""Bounded histories (workflows/continuation.py): a case that collects many messages, evidence requests, tracking
events and T-AGENT reminders continues as new past a small threshold, and still answers, decides, pays once, closes
and verifies; a request retried across the boundary is applied once."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.converter import default
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.case_workflow import send_action
from models.case import Case
from models.ledger import LedgerEntry
from settings import Settings
from tests.api.evidence_helpers import png, timeline, upload
from tests.api.helpers import AGENT, SYSTEM, act, new_id, open_case, push_order
from tests.api.test_idempotency_lease import LEASE, age_keys, dies_after
from workflows import search_attributes as sa

Sessions = async_sessionmaker[AsyncSession]
LIMIT = 80  # history events of one run before the case continues as new
SLACK = 40  # one step may pass the limit before the run hands on (a decision with its refund is the longest)
T_AGENT = timedelta(hours=1)


@pytest_asyncio.fixture(scope="module")
async def short(
    app: FastAPI, api_settings: Settings, time_skipping_env: WorkflowEnvironment
) -> AsyncIterator[AsyncClient]:
    """The API opening cases with a small history limit and a short T-AGENT (the `app` fixture's worker runs them)."""
    settings = api_settings.model_copy(update={"history_events_limit": LIMIT, "t_agent": T_AGENT})
    application = create_app(settings, temporal_client=time_skipping_env.client)
    transport = ASGITransport(app=application)
    async with (
        application.router.lifespan_context(application),
        AsyncClient(transport=transport, base_url="http://x") as http,
    ):
        yield http


async def runs(client: Client, case_id: str) -> list[int]:
    """The history length of each run of the case, first run first (following each run back to the one it continued)."""
    lengths: list[int] = []
    run_id: str | None = None
    while True:
        history = await client.get_workflow_handle(f"case-{case_id}", run_id=run_id).fetch_history()
        lengths.insert(0, len(history.events))
        run_id = history.events[0].workflow_execution_started_event_attributes.continued_execution_run_id
        if not run_id:
            return lengths


async def run_id(client: Client, case_id: str) -> str:
    return (await client.get_workflow_handle(f"case-{case_id}").describe()).run_id or ""


async def chain_attributes(client: Client, case_id: str) -> tuple[str, int, str]:
    """ChainHead, ChainLength and CaseStatus of the case's latest run, read raw: the test server keeps an unset
    DeadlineAt as a typed null that the SDK's `describe()` cannot decode."""
    execution = WorkflowExecution(workflow_id=f"case-{case_id}")
    request = DescribeWorkflowExecutionRequest(namespace=client.namespace, execution=execution)
    fields = (await client.workflow_service.describe_workflow_execution(request)).workflow_execution_info
    value = {k: default().payload_converter.from_payload(v) for k, v in fields.search_attributes.indexed_fields.items()}
    return value[sa.CHAIN_HEAD.name], value[sa.CHAIN_LENGTH.name], value[sa.CASE_STATUS.name]


async def say(http: AsyncClient, case_id: str, headers: dict[str, str], count: int, who: str) -> None:
    for n in range(count):
        said = await act(http, case_id, headers, action="message", text=f"{who} {n}")
        assert said.status_code == 200, said.text


async def test_a_long_case_continues_as_new_and_still_answers_decides_pays_once_and_verifies(
    short: AsyncClient, time_skipping_env: WorkflowEnvironment, db: Sessions
) -> None:
    temporal = time_skipping_env.client
    order = await push_order(short)
    case_id = (await open_case(short, order, kind="return_refund"))["case_id"]

    await say(short, case_id, order.buyer, 6, "买家留言")
    for _ in range(2):  # the merchant asks for photos; the buyer's upload answers
        asked = await act(
            short, case_id, order.merchant, action="request_evidence", **{"from": "buyer", "what": "近照"}
        )
        assert asked.json()["status"] == "awaiting_buyer", asked.text
        assert (await upload(short, case_id, order.buyer, png(), name="p.png", content_type="image/png")).is_success
    approved = await act(short, case_id, order.merchant, action="approve", return_address="杭州退货仓")
    assert approved.json()["status"] == "awaiting_return_shipment", approved.text
    parcel = new_id("SFR")
    await act(short, case_id, order.buyer, action="ship_return", carrier="SF", tracking_no=parcel)
    start = datetime.now(UTC) - timedelta(hours=20)
    for hop in range(8):
        event = {"tracking_no": parcel, "status": "in_transit", "location": f"站点 {hop}", "at": _at(start, hop)}
        assert (await short.post("/logistics/events", json=event, headers=SYSTEM)).status_code == 202
    delivered = {"tracking_no": parcel, "status": "delivered", "location": "杭州", "at": _at(start, 9)}
    assert (await short.post("/logistics/events", json=delivered, headers=SYSTEM)).status_code == 202
    bad = await act(short, case_id, order.merchant, action="confirm_receipt", condition_ok=False, note="有污渍")
    assert bad.json()["status"] == "in_arbitration", bad.text
    deadline = _instant(bad.json()["deadline"])

    await time_skipping_env.sleep(T_AGENT / 2)  # the run hands on half-way through T-AGENT's wait
    before = await run_id(temporal, case_id)
    await say(short, case_id, order.merchant, 10, "商家说明")
    assert await run_id(temporal, case_id) != before
    assert _instant((await short.get(f"/cases/{case_id}", headers=order.buyer)).json()["deadline"]) == deadline
    await time_skipping_env.sleep(T_AGENT * 4)  # reminders, each when its deadline comes, across runs

    events = await timeline(short, case_id, AGENT)
    passed = [e for e in events if e["type"] == "deadline_passed"]
    assert len(passed) >= 4 and {e["data"]["timer"] for e in passed} == {"T-AGENT"}
    reminded = [_instant(e["data"]["next_deadline"]) for e in events if e["type"] == "agent_reminder"]
    # Every wait ran out at the deadline it was set with, the one set before the hand-over too: none restarted.
    assert [_instant(e["data"]["deadline"]) for e in passed] == [deadline, *reminded[:-1]]
    assert all(abs(_instant(e["at"]) - _instant(e["data"]["deadline"])) < timedelta(seconds=1) for e in passed)
    async with db() as session:
        running = await session.get(Case, case_id)
    assert running is not None
    assert await chain_attributes(temporal, case_id) == (running.head_hash, running.event_count, "in_arbitration")
    decided = await act(
        short, case_id, {**AGENT, "Idempotency-Key": new_id("decide")}, action="decide", outcome="refund", rationale="x"
    )
    assert decided.json()["status"] == "resolved", decided.text

    lengths = await runs(temporal, case_id)
    assert len(lengths) >= 3, lengths
    assert all(length <= LIMIT + SLACK for length in lengths), lengths
    async with db() as session:
        money = (await session.exec(select(LedgerEntry).where(LedgerEntry.case_id == case_id))).all()
        case = await session.get(Case, case_id)
    assert [(m.kind, m.amount_cents, m.status, m.business_key) for m in money] == [
        ("refund", order.total_cents, "succeeded", f"case-{case_id}:refund:1")
    ]
    verified = (await short.get(f"/cases/{case_id}/verify", headers=order.buyer)).json()
    events = len(await timeline(short, case_id, AGENT))
    assert (verified["valid"], verified["events"], verified["anchored"], verified["checkpoint"]["events"]) == (
        True,
        events,
        True,
        events,
    )
    assert case is not None
    assert await chain_attributes(temporal, case_id) == (case.head_hash, case.event_count, "resolved")


async def test_a_request_retried_across_the_hand_over_is_applied_once(
    short: AsyncClient, time_skipping_env: WorkflowEnvironment, db: Sessions
) -> None:
    temporal = time_skipping_env.client
    order = await push_order(short)
    case_id = (await open_case(short, order))["case_id"]
    path = f"/cases/{case_id}/actions"
    keyed = [{**order.buyer, "Idempotency-Key": new_id("say")} for _ in range(2)]
    for n, headers in enumerate(keyed):  # applied by the first run; the answer lost with the request
        with pytest.MonkeyPatch.context() as patch:
            send = short.post(path, json={"action": "message", "text": f"once {n}"}, headers=headers)
            await dies_after(patch, "api.routes.cases.send_action", send_action, send)
    first_run = await run_id(temporal, case_id)
    await say(short, case_id, order.merchant, 12, "商家")
    assert await run_id(temporal, case_id) != first_run
    for headers in keyed:
        await age_keys(db, headers["Idempotency-Key"], LEASE + timedelta(seconds=1))

    running = await short.post(path, json={"action": "message", "text": "once 0"}, headers=keyed[0])
    assert running.status_code == 200 and running.json()["status"] == "awaiting_merchant", running.text
    assert (await act(short, case_id, order.merchant, action="approve")).json()["status"] == "resolved"
    closed = await short.post(path, json={"action": "message", "text": "once 1"}, headers=keyed[1])
    assert closed.status_code == 200 and closed.json()["status"] == "resolved", closed.text

    said = [e["data"]["text"] for e in await timeline(short, case_id, AGENT) if e["type"] == "message"]
    assert said.count("once 0") == 1 and said.count("once 1") == 1


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _at(start: datetime, hours: int) -> str:
    return (start + timedelta(hours=hours)).isoformat()
