"""Prints, per party, the messages of four cases run on the real workflow (time-skipping server, SQLite):
`python -m tests.support.four_cases` (a refund_only approved, a return whose refund the ledger caps, an exchange,
an override of the platform's own refund)."""

import asyncio
import tempfile
from datetime import UTC, datetime

from sqlmodel import col, select

from activities.adapters.payments import FakePaymentProvider
from models.db import create_engine, session_factory
from models.migrate import upgrade_async
from models.notification import Notification
from rulebook.enums import Action, CaseKind, Outcome, Party, Role, TrackingStatus
from tests.builders import add_case, add_order
from tests.support.temporal import start_time_skipping_env
from tests.workflows.support import start
from worker import build_worker
from workflows.agent_desk import Override
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest, TrackingUpdate

Q = "four-cases"


async def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{directory}/m.db"
        await upgrade_async(url)
        sessions = session_factory(create_engine(url))
        env = await start_time_skipping_env()
        async with build_worker(env.client, sessions, FakePaymentProvider(), Q):
            shown = []
            # 1. refund_only, the merchant approves
            order = await add_order(sessions)
            case = await add_case(sessions, order)
            h = await start(env, Q, case)
            await h.execute_update(CaseWorkflow.act, ActionRequest(Action.APPROVE, Role.MERCHANT, case.shop_id))
            shown.append(("refund_only, approved", case.case_id))
            # 2. return_refund whose refund the ledger caps: a refund_only of 2 900 on the same order paid first
            order = await add_order(sessions, total_cents=5900)
            first = await add_case(sessions, order, amount_cents=2900, held_open=False)
            ret = await add_case(sessions, order, kind=CaseKind.RETURN_REFUND)
            h1, h2 = await start(env, Q, first), await start(env, Q, ret)
            await h1.execute_update(CaseWorkflow.act, ActionRequest(Action.APPROVE, Role.MERCHANT, first.shop_id))
            approve = ActionRequest(Action.APPROVE, Role.MERCHANT, ret.shop_id, return_address="杭州退货仓")
            await h2.execute_update(CaseWorkflow.act, approve)
            ship = ActionRequest(Action.SHIP_RETURN, Role.BUYER, ret.buyer_id, carrier="SF", tracking_no="SFR2001")
            await h2.execute_update(CaseWorkflow.act, ship)
            now = datetime.now(UTC)
            await h2.execute_update(
                CaseWorkflow.tracking, TrackingUpdate("SFR2001", TrackingStatus.DELIVERED, now, "杭州")
            )
            ok = ActionRequest(Action.CONFIRM_RECEIPT, Role.MERCHANT, ret.shop_id, condition_ok=True)
            await h2.execute_update(CaseWorkflow.act, ok)
            decide = ActionRequest(
                Action.DECIDE, Role.AGENT, "agent-1", outcome=Outcome.REJECT, rationale="已按订单可退金额退回"
            )
            await h2.execute_update(CaseWorkflow.act, decide)
            shown.append(("return_refund, refund capped, then ruled by an agent", ret.case_id))
            # 3. exchange, to its end
            order = await add_order(sessions)
            ex = await add_case(sessions, order, kind=CaseKind.EXCHANGE)
            h = await start(env, Q, ex)
            await h.execute_update(
                CaseWorkflow.act, ActionRequest(Action.APPROVE, Role.MERCHANT, ex.shop_id, return_address="杭州退货仓")
            )
            await h.execute_update(
                CaseWorkflow.act,
                ActionRequest(Action.SHIP_RETURN, Role.BUYER, ex.buyer_id, carrier="SF", tracking_no="SFR3001"),
            )
            await h.execute_update(
                CaseWorkflow.tracking, TrackingUpdate("SFR3001", TrackingStatus.DELIVERED, now, "杭州")
            )
            await h.execute_update(
                CaseWorkflow.act, ActionRequest(Action.CONFIRM_RECEIPT, Role.MERCHANT, ex.shop_id, condition_ok=True)
            )
            await h.execute_update(
                CaseWorkflow.act,
                ActionRequest(Action.SHIP_REPLACEMENT, Role.MERCHANT, ex.shop_id, carrier="YTO", tracking_no="YT3002"),
            )
            await h.execute_update(
                CaseWorkflow.tracking, TrackingUpdate("YT3002", TrackingStatus.DELIVERED, now, "上海")
            )
            shown.append(("exchange", ex.case_id))
            # 4. overridden: not shipped, refunded at once by the platform, an agent overrides it to a rejection
            order = await add_order(sessions, shipped=False)
            ov = await add_case(sessions, order)
            h = await start(env, Q, ov)
            await h.execute_update(CaseWorkflow.override, Override("agent-1", Outcome.REJECT, "订单已由线下渠道退款"))
            shown.append(("overridden", ov.case_id))
            for title, case_id in shown:
                print(f"\n## {title}")
                for party in (Party.BUYER, Party.MERCHANT, Party.AGENT):
                    async with sessions() as session:
                        rows = (
                            await session.exec(
                                select(Notification)
                                .where(Notification.case_id == case_id, Notification.recipient_role == party)
                                .order_by(col(Notification.event_seq))
                            )
                        ).all()
                    if rows:
                        print(f"\n{party}:")
                        for row in rows:
                            print(f"- {row.text_zh}")
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
