"""The views the README asks agents to save are queries the dev server's visibility accepts, and find cases."""

import dataclasses
import uuid
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from activities.adapters.payments import FakePaymentProvider
from models.case import Case
from models.db import transaction
from rulebook.enums import Action, CaseStatus, Role
from tests.builders import add_case, add_order
from tests.support.polling import eventually
from worker import build_worker
from workflows import search_attributes as sa
from workflows.agent_desk import Reassignment
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest
from workflows.saved_views import VIEWS

pytestmark = pytest.mark.e2e
README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_the_readme_shows_every_view_with_its_query() -> None:
    for name, query in VIEWS.items():
        assert name in README and query in README.replace("\n", " "), name


async def test_every_saved_view_runs_and_the_queue_views_find_an_urgent_arbitration_case(
    dev_client: Client, sessions: async_sessionmaker[AsyncSession]
) -> None:
    queue = f"views-{uuid.uuid4().hex[:8]}"
    async with build_worker(dev_client, sessions, FakePaymentProvider(), queue):
        case = dataclasses.replace(await add_case(sessions, await add_order(sessions)), urgent=True)
        async with transaction(sessions) as session:  # the buyer said it is urgent (R-URGENT)
            row = await session.get(Case, case.case_id)
            assert row is not None
            row.urgent = True
            session.add(row)
        attributes = sa.at_start(
            kind=case.kind,
            shop_id=case.shop_id,
            buyer_id=case.buyer_id,
            order_id=case.order_id,
            status=CaseStatus.AWAITING_MERCHANT,
            awaiting="merchant",
            urgent=case.urgent,
        )
        workflow_id = f"case-{case.case_id}"
        handle = await dev_client.start_workflow(
            CaseWorkflow.run, case, id=workflow_id, task_queue=queue, search_attributes=attributes
        )
        await handle.execute_update(CaseWorkflow.opened)
        escalate = ActionRequest(Action.ESCALATE, Role.MERCHANT, case.shop_id, reason="说不清")
        await handle.execute_update(CaseWorkflow.act, escalate)
        handover = Reassignment("agent-7", "agent-1", "熟悉该店铺")
        await handle.execute_update(CaseWorkflow.reassign, handover)

        async def found(view: str) -> list[str]:
            return [w.id async for w in dev_client.list_workflows(VIEWS[view])]

        for view in ("Urgent arbitration", "Arbitration queue", "Urgent", "Mine"):
            await eventually(lambda view=view: found(view), lambda ids: workflow_id in ids)  # type: ignore[misc]
        for view in VIEWS:
            await found(view)  # accepted by the server's visibility
        await handle.terminate("test over")
