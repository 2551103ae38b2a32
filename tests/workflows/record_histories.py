"""Records the case workflow's histories that `test_replay.py` replays: `python -m tests.workflows.record_histories`
(every scenario) or `python -m tests.workflows.record_histories NAME ...` (only those, e.g. a new scenario).

The committed histories are the cases already running in production, and the current code must still replay them:
`histories/*.json` were recorded before the case workflow became a conductor (they hold the paths from before
its later patches), `histories/conductor/` by the conductor (the current side of every patch, and every flow). A
recording is never overwritten: a new scenario, or a new recording of an old one after a patch, goes to the
newest folder (`RECORDED_INTO`) under a name of its own (README, Conventions: versioning).
"""

import asyncio
import contextlib
import dataclasses
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.adapters.fulfilment import FakeFulfilment
from activities.adapters.payments import FakePaymentProvider
from activities.recording import CaseRecorder
from models.case import Case
from models.db import create_engine, session_factory
from models.migrate import upgrade_async
from models.order import Shipment
from rulebook.business_calendar import SHANGHAI, day_pause
from rulebook.deadlines import DeadlinePolicy
from rulebook.enums import Action, CaseKind, CaseStatus, Outcome, Party, ReasonCode, Resolution, Role, TrackingStatus
from tests.builders import add_case, add_order
from tests.support.temporal import start_time_skipping_env
from tests.workflows.test_exceptions import stalled_order
from worker import build_worker
from workflows.agent_desk import EvidenceRequest, Override
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest, CaseInput, EventDraft, Projection, StepRecord, TrackingUpdate

HISTORIES = Path(__file__).parent / "histories"
RECORDED_INTO = HISTORIES / "conductor"
QUEUE = "record-histories"
PROVIDER = FakePaymentProvider()
Handle = WorkflowHandle[CaseWorkflow, CaseStatus]


async def approved(env: WorkflowEnvironment, handle: Handle, case: CaseInput) -> None:
    await handle.execute_update(CaseWorkflow.act, ActionRequest(Action.APPROVE, Role.MERCHANT, case.shop_id))


async def timed_out_then_decided(env: WorkflowEnvironment, handle: Handle, case: CaseInput) -> None:
    await env.sleep(timedelta(hours=25))
    await asyncio.sleep(1)
    decide = ActionRequest(Action.DECIDE, Role.AGENT, "agent-1", outcome=Outcome.REFUND, rationale="商家超时")
    await handle.execute_update(CaseWorkflow.act, decide)


async def proposal_accepted(env: WorkflowEnvironment, handle: Handle, case: CaseInput) -> None:
    propose = ActionRequest(
        Action.PROPOSE, Role.MERCHANT, case.shop_id, outcome=Outcome.PARTIAL_REFUND, amount_cents=10
    )
    await handle.execute_update(CaseWorkflow.act, propose)
    await handle.execute_update(CaseWorkflow.act, ActionRequest(Action.ACCEPT_PROPOSAL, Role.BUYER, case.buyer_id))


async def return_refunded(env: WorkflowEnvironment, handle: Handle, case: CaseInput) -> None:
    approve = ActionRequest(Action.APPROVE, Role.MERCHANT, case.shop_id, return_address="退货仓 A")
    await handle.execute_update(CaseWorkflow.act, approve)
    ship = ActionRequest(Action.SHIP_RETURN, Role.BUYER, case.buyer_id, carrier="SF", tracking_no=f"R-{case.case_id}")
    await handle.execute_update(CaseWorkflow.act, ship)
    delivered = TrackingUpdate(f"R-{case.case_id}", TrackingStatus.DELIVERED, datetime.now(UTC), "仓库")
    await handle.execute_update(CaseWorkflow.tracking, delivered)
    confirm = ActionRequest(Action.CONFIRM_RECEIPT, Role.MERCHANT, case.shop_id, condition_ok=True)
    await handle.execute_update(CaseWorkflow.act, confirm)


async def extended_in_a_pause(env: WorkflowEnvironment, handle: Handle, case: CaseInput) -> None:
    extend = ActionRequest(
        Action.EXTEND, Role.MERCHANT, case.shop_id, reason="春节后核实库存", extension=timedelta(hours=6)
    )
    await handle.execute_update(CaseWorkflow.act, extend)
    await env.sleep(timedelta(days=4))  # past T-MERCHANT, the two paused days and the extension
    await asyncio.sleep(1)
    decide = ActionRequest(Action.DECIDE, Role.AGENT, "agent-1", outcome=Outcome.REFUND, rationale="商家超时")
    await handle.execute_update(CaseWorkflow.act, decide)


async def refunded_on_the_order_ledger(env: WorkflowEnvironment, handle: Handle, case: CaseInput) -> None:
    """An approval whose refund the ledger claims (with T-REFUND's watch, `refund-deadline-watch`)."""
    await approved(env, handle, case)


async def refund_refused_then_ruled(env: WorkflowEnvironment, handle: Handle, case: CaseInput) -> None:
    """The provider refuses the refund for good: the case waits on an agent, who rules."""
    PROVIDER.refuse.add(f"case-{case.case_id}:refund:1")
    await approved(env, handle, case)
    reject = ActionRequest(
        Action.DECIDE, Role.AGENT, "agent-1", outcome=Outcome.REJECT, rationale="原路退款失败,线下处理"
    )
    await handle.execute_update(CaseWorkflow.act, reject)


async def overridden_after_an_automatic_refund(env: WorkflowEnvironment, handle: Handle, case: CaseInput) -> None:
    """Not shipped: the platform refunds at once; within the window an agent overrides it to a rejection."""
    ruling = Override("agent-1", Outcome.REJECT, "订单已由线下渠道退款")
    await handle.execute_update(CaseWorkflow.override, ruling)


async def not_received_reshipped(env: WorkflowEnvironment, handle: Handle, case: CaseInput) -> None:
    await env.sleep(timedelta(hours=25))  # R-TIMEOUT with R-NOT-RECEIVED: a reshipment through fulfilment
    await asyncio.sleep(1)
    tracking_no = FakeFulfilment.tracking_no_for(f"case-{case.case_id}:reship:1")
    delivered = TrackingUpdate(tracking_no, TrackingStatus.DELIVERED, datetime.now(UTC), "上海")
    await handle.execute_update(CaseWorkflow.tracking, delivered)


async def in_transit_intercepted(env: WorkflowEnvironment, handle: Handle, case: CaseInput) -> None:
    await handle.execute_update(CaseWorkflow.act, ActionRequest(Action.INTERCEPT, Role.MERCHANT, case.shop_id))
    async with RECORDING["sessions"]() as session:  # type: ignore[operator]
        parcel = (await session.exec(select(Shipment).where(Shipment.order_id == case.order_id))).one()
    returned = TrackingUpdate(parcel.tracking_no, TrackingStatus.RETURNED, datetime.now(UTC), "杭州")
    await handle.execute_update(CaseWorkflow.tracking, returned)


def two_paused_days(now: datetime) -> DeadlinePolicy:
    """The two Shanghai days after today: the first begins within T-MERCHANT's 24 h."""
    first = (now.astimezone(SHANGHAI) + timedelta(days=1)).date()
    return DeadlinePolicy(paused=(day_pause(first, first + timedelta(days=1)),))


async def escalated_then_cancelled(env: WorkflowEnvironment, handle: Handle, case: CaseInput) -> None:
    """The caller header, an agent's typed update and a cancel request from the UI (patches of issue 10)."""
    escalate = ActionRequest(Action.ESCALATE, Role.MERCHANT, case.shop_id, reason="说不清")
    await handle.execute_update(CaseWorkflow.act, escalate)
    asked = EvidenceRequest("agent-1", Party.BUYER, "开线处的近照")
    await handle.execute_update(CaseWorkflow.request_evidence, asked)
    await handle.cancel(reason="重复的申请")


async def evidence_requested_and_answered(env: WorkflowEnvironment, handle: Handle, case: CaseInput) -> None:
    """The merchant asks the buyer for evidence (the case waits on the buyer), the buyer's message answers it, the
    merchant approves (`evidence-request-waits`, `rule-evidence-requested`)."""
    ask = ActionRequest(
        Action.REQUEST_EVIDENCE,
        Role.MERCHANT,
        case.shop_id,
        message="拍清楚保质期和生产日期",
        evidence_from=Party.BUYER,
    )
    await handle.execute_update(CaseWorkflow.act, ask)
    await handle.execute_update(
        CaseWorkflow.act, ActionRequest(Action.MESSAGE, Role.BUYER, case.buyer_id, message="已拍")
    )
    await approved(env, handle, case)


async def agent_asked_a_silent_merchant(env: WorkflowEnvironment, handle: Handle, case: CaseInput) -> None:
    """In arbitration an agent asks the merchant from the UI; T-MERCHANT runs out (R-TIMEOUT) and the agent rules."""
    escalate = ActionRequest(Action.ESCALATE, Role.MERCHANT, case.shop_id, reason="说不清")
    await handle.execute_update(CaseWorkflow.act, escalate)
    await handle.execute_update(CaseWorkflow.request_evidence, EvidenceRequest("agent-1", Party.MERCHANT, "称重记录"))
    await env.sleep(timedelta(hours=25))
    await asyncio.sleep(1)
    decide = ActionRequest(Action.DECIDE, Role.AGENT, "agent-1", outcome=Outcome.REFUND, rationale="商家未提供记录")
    await handle.execute_update(CaseWorkflow.act, decide)


async def oversold_transferred(env: WorkflowEnvironment, handle: Handle, case: CaseInput) -> None:
    """The merchant picks the emergency transfer: the stock move (`emergency-transfer-moves-stock`), the reshipment
    from there, and its delivery resolves the case."""
    resolve = ActionRequest(Action.RESOLVE, Role.MERCHANT, case.shop_id, resolution=Resolution.EMERGENCY_TRANSFER)
    await handle.execute_update(CaseWorkflow.act, resolve)
    tracking_no = FakeFulfilment.tracking_no_for(f"case-{case.case_id}:reship:1")
    delivered = TrackingUpdate(tracking_no, TrackingStatus.DELIVERED, datetime.now(UTC), "上海")
    await handle.execute_update(CaseWorkflow.tracking, delivered)


async def return_granted_nowhere(env: WorkflowEnvironment, handle: Handle, case: CaseInput) -> None:
    """A silent merchant, a seven-day return granted by R-TIMEOUT, no shop return address (`return-goes-somewhere`):
    an agent takes the case and refunds."""
    await env.sleep(timedelta(hours=25))
    await asyncio.sleep(1)
    decide = ActionRequest(Action.DECIDE, Role.AGENT, "agent-1", outcome=Outcome.REFUND, rationale="商家无退货地址")
    await handle.execute_update(CaseWorkflow.act, decide)


async def continued_as_new(env: WorkflowEnvironment, handle: Handle, case: CaseInput) -> None:
    """A case in arbitration collects messages past its history limit and continues as new
    (`history-continues-as-new`); in the next run T-AGENT reminds the agent, who refunds."""
    escalate = ActionRequest(Action.ESCALATE, Role.MERCHANT, case.shop_id, reason="说不清")
    await handle.execute_update(CaseWorkflow.act, escalate)
    for n in range(10):
        said = ActionRequest(Action.MESSAGE, Role.BUYER, case.buyer_id, message=f"请尽快处理 {n}")
        await handle.execute_update(CaseWorkflow.act, said)
    await env.sleep(timedelta(hours=49))
    await asyncio.sleep(1)
    decide = ActionRequest(Action.DECIDE, Role.AGENT, "agent-1", outcome=Outcome.REFUND, rationale="商家未举证")
    await handle.execute_update(CaseWorkflow.act, decide)


async def messages_at_once(env: WorkflowEnvironment, handle: Handle, case: CaseInput) -> None:
    """Both parties send messages at once, each step stored by a regular activity (`steps-recorded-durably`); the
    merchant then approves."""
    said = [
        ActionRequest(Action.MESSAGE, role, actor, message=f"补充说明 {n}")
        for n, (role, actor) in enumerate([(Role.BUYER, case.buyer_id), (Role.MERCHANT, case.shop_id)] * 3)
    ]
    await asyncio.gather(*(handle.execute_update(CaseWorkflow.act, request) for request in said))
    await approved(env, handle, case)


async def stalled_then_timed_out(env: WorkflowEnvironment, handle: Handle, case: CaseInput) -> None:
    """A stalled parcel's case and a silent merchant: R-TIMEOUT with R-STALL urges the courier first
    (`stall-urges-courier`), then pays the buyer's coupon."""
    await env.sleep(timedelta(hours=25))
    await asyncio.sleep(1)


async def exchange_stock_checked(env: WorkflowEnvironment, handle: Handle, case: CaseInput) -> None:
    """An exchange approved: stock for the replacement is checked before the goods are asked back
    (`exchange-stock-checked`); the buyer then withdraws."""
    approve = ActionRequest(Action.APPROVE, Role.MERCHANT, case.shop_id, return_address="杭州退货仓")
    await handle.execute_update(CaseWorkflow.act, approve)
    await handle.execute_update(CaseWorkflow.act, ActionRequest(Action.WITHDRAW, Role.BUYER, case.buyer_id))


async def return_refund_failed_then_ruled(env: WorkflowEnvironment, handle: Handle, case: CaseInput) -> None:
    """A return whose refund the provider refuses for good once the goods are back: the case is closed only after
    the refund (`closes-after-the-refund`), so it waits on an agent with its workflow running, and the agent rules."""
    PROVIDER.refuse.add(f"case-{case.case_id}:refund:1")
    approve = ActionRequest(Action.APPROVE, Role.MERCHANT, case.shop_id, return_address="杭州退货仓")
    await handle.execute_update(CaseWorkflow.act, approve)
    parcel = f"SFR{case.case_id}"
    ship = ActionRequest(Action.SHIP_RETURN, Role.BUYER, case.buyer_id, carrier="SF", tracking_no=parcel)
    await handle.execute_update(CaseWorkflow.act, ship)
    delivered = TrackingUpdate(parcel, TrackingStatus.DELIVERED, datetime.now(UTC), "杭州")
    await handle.execute_update(CaseWorkflow.tracking, delivered)
    confirm = ActionRequest(Action.CONFIRM_RECEIPT, Role.MERCHANT, case.shop_id, condition_ok=True)
    await handle.execute_update(CaseWorkflow.act, confirm)
    decide = ActionRequest(Action.DECIDE, Role.AGENT, "agent-1", outcome=Outcome.REJECT, rationale="线下已退款")
    await handle.execute_update(CaseWorkflow.act, decide)


async def diverged_on_its_closing_step(env: WorkflowEnvironment, handle: Handle, case: CaseInput) -> None:
    """An event another writer stored at the case's next seq (a reset run's, or a forgery): the buyer's withdrawal
    finds its seq taken, the case goes to an agent with `timeline_diverged`, and its workflow waits with it
    (`open-while-waiting`) until the agent rules."""
    sessions = RECORDING["sessions"]
    assert isinstance(sessions, async_sessionmaker)
    async with sessions() as session:
        row = await session.get(Case, case.case_id)
    assert row is not None
    forged = EventDraft("message", Role.BUYER, case.buyer_id, datetime.now(UTC), {"text": "另一条记录"})
    kept = Projection(row.status, row.awaiting, row.deadline, row.decision, row.proposal, row.urgent, forged.at)
    await CaseRecorder(sessions).record_step(StepRecord(case.case_id, row.event_count + 1, (forged,), kept))
    with contextlib.suppress(WorkflowUpdateFailedError):  # refused: the step is not the timeline's
        await handle.execute_update(CaseWorkflow.act, ActionRequest(Action.WITHDRAW, Role.BUYER, case.buyer_id))
    decide = ActionRequest(Action.DECIDE, Role.AGENT, "agent-1", outcome=Outcome.REJECT, rationale="记录有误,驳回")
    await handle.execute_update(CaseWorkflow.act, decide)


Scenario = Callable[[WorkflowEnvironment, Handle, CaseInput], Awaitable[None]]
SCENARIOS: dict[str, tuple[bool, Scenario | None]] = {
    "approved": (True, approved),
    "timed_out_then_decided": (True, timed_out_then_decided),
    "proposal_accepted": (True, proposal_accepted),
    "not_shipped_refunded_at_once": (False, None),
    "return_refunded": (True, return_refunded),
    "extended_in_a_pause": (True, extended_in_a_pause),
    "refunded_on_the_order_ledger": (True, refunded_on_the_order_ledger),
    "refund_refused_then_ruled": (True, refund_refused_then_ruled),
    "overridden_after_an_automatic_refund": (False, overridden_after_an_automatic_refund),
    "escalated_then_cancelled": (True, escalated_then_cancelled),
    "not_received_reshipped": (True, not_received_reshipped),
    "in_transit_intercepted": (True, in_transit_intercepted),
    "evidence_requested_and_answered": (True, evidence_requested_and_answered),
    "agent_asked_a_silent_merchant": (True, agent_asked_a_silent_merchant),
    "oversold_transferred": (False, oversold_transferred),
    "return_granted_nowhere": (True, return_granted_nowhere),
    "continued_as_new": (True, continued_as_new),
    "messages_at_once": (True, messages_at_once),
    "stalled_then_timed_out": (True, stalled_then_timed_out),
    "exchange_stock_checked": (True, exchange_stock_checked),
    "return_refund_failed_then_ruled": (True, return_refund_failed_then_ruled),
    "diverged_on_its_closing_step": (True, diverged_on_its_closing_step),
    # the platform's R-TIMEOUT packet, then an agent's ruling with its packet (`decision-packets`: the facts loaded)
    "ruled_with_decision_packets": (True, timed_out_then_decided),
}
DEADLINES = {"extended_in_a_pause": two_paused_days}  # the others open with no paused days
KINDS = {  # else refund_only
    "return_refunded": CaseKind.RETURN_REFUND,
    "not_received_reshipped": CaseKind.NOT_RECEIVED,
    "oversold_transferred": CaseKind.OVERSOLD,
    "return_granted_nowhere": CaseKind.RETURN_REFUND,
    "stalled_then_timed_out": CaseKind.LOGISTICS_STALLED,
    "exchange_stock_checked": CaseKind.EXCHANGE,
    "return_refund_failed_then_ruled": CaseKind.RETURN_REFUND,
}
STALLED = {"stalled_then_timed_out"}  # the parcel has not moved for days
HISTORY_LIMITS = {"continued_as_new": 60}  # else the default: the others never continue as new
REASONS = {"return_granted_nowhere": ReasonCode.NO_REASON}  # else other
IN_TRANSIT = {"in_transit_intercepted"}  # shipped and not delivered; the others' shipments were delivered
RECORDING: dict[str, object] = {}  # the sessions of the run, for scenarios that read what was stored


async def main(names: list[str]) -> None:
    RECORDED_INTO.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{directory}/record.db"
        await upgrade_async(url)
        engine = create_engine(url)
        sessions = session_factory(engine)
        RECORDING["sessions"] = sessions
        env = await start_time_skipping_env()
        async with build_worker(env.client, sessions, PROVIDER, QUEUE):
            for name in names:
                shipped, scenario = SCENARIOS[name]
                if name in STALLED:
                    order = await stalled_order(sessions)
                else:
                    order = await add_order(sessions, shipped=shipped, delivered=name not in IN_TRANSIT)
                kind, reason = KINDS.get(name, CaseKind.REFUND_ONLY), REASONS.get(name, ReasonCode.OTHER)
                case = await add_case(sessions, order, kind=kind, reason=reason)
                if name in DEADLINES:
                    case = dataclasses.replace(case, deadlines=DEADLINES[name](await env.get_current_time()))
                if name in HISTORY_LIMITS:
                    case = dataclasses.replace(case, history_events_limit=HISTORY_LIMITS[name])
                handle = await env.client.start_workflow(
                    CaseWorkflow.run, case, id=f"case-{case.case_id}", task_queue=QUEUE
                )
                await handle.execute_update(CaseWorkflow.opened)
                if scenario is not None:
                    await scenario(env, handle, case)
                await handle.result()
                first_run = env.client.get_workflow_handle(handle.id, run_id=handle.first_execution_run_id)
                history = await first_run.fetch_history()
                (RECORDED_INTO / f"{name}.json").write_text(history.to_json())
                print(f"recorded {name}: {len(history.events)} events")
                if history.events[-1].HasField("workflow_execution_continued_as_new_event_attributes"):
                    last = await env.client.get_workflow_handle(handle.id).fetch_history()  # the run that closed it
                    (RECORDED_INTO / f"{name}_last_run.json").write_text(last.to_json())
                    print(f"recorded {name}_last_run: {len(last.events)} events")
        await env.shutdown()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:] or list(SCENARIOS)))
