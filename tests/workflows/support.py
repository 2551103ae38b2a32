"""What the workflow tests share: starting a case as the API does, and reading back what it stored."""

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.adapters.payments import FakePaymentProvider
from models.case import Case
from models.ledger import LedgerEntry
from models.notification import Notification
from models.timeline import CaseEvent
from rulebook.enums import Action, CaseStatus, Party, Role
from workflows import search_attributes as sa
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest, CaseInput

Sessions = async_sessionmaker[AsyncSession]


async def start(env: WorkflowEnvironment, queue: str, case: CaseInput) -> WorkflowHandle[CaseWorkflow, CaseStatus]:
    """Starts the case as the API does and returns once its opening is stored."""
    handle = await start_opening(env.client, queue, case)
    await handle.execute_update(CaseWorkflow.opened)
    return handle


async def start_opening(client: Client, queue: str, case: CaseInput) -> WorkflowHandle[CaseWorkflow, CaseStatus]:
    """Starts the case's workflow with its search attributes; its opening may still be being stored."""
    attributes = sa.at_start(
        kind=case.kind,
        shop_id=case.shop_id,
        buyer_id=case.buyer_id,
        order_id=case.order_id,
        status=CaseStatus.AWAITING_MERCHANT,
        awaiting="merchant",
        urgent=case.urgent,
    )
    return await client.start_workflow(
        CaseWorkflow.run, case, id=f"case-{case.case_id}", task_queue=queue, search_attributes=attributes
    )


async def stored(sessions: Sessions, case_id: str) -> Case:
    async with sessions() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        return case


async def event_types(sessions: Sessions, case_id: str) -> list[str]:
    async with sessions() as session:
        rows = await session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(col(CaseEvent.seq)))
        return [e.type for e in rows.all()]


async def events_of(sessions: Sessions, case_id: str, type: str) -> list[CaseEvent]:
    async with sessions() as session:
        rows = await session.exec(
            select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.type == type).order_by(col(CaseEvent.seq))
        )
        return list(rows.all())


async def messages_to(sessions: Sessions, case_id: str, party: Party) -> list[str]:
    """The Chinese texts `party` was sent about the case, in order."""
    async with sessions() as session:
        rows = await session.exec(
            select(Notification)
            .where(Notification.case_id == case_id, Notification.recipient_role == party)
            .order_by(col(Notification.event_seq))
        )
        return [n.text_zh for n in rows.all()]


async def ledger(sessions: Sessions, case_id: str) -> list[LedgerEntry]:
    async with sessions() as session:
        return list((await session.exec(select(LedgerEntry).where(LedgerEntry.case_id == case_id))).all())


def paid(payments: FakePaymentProvider, case: CaseInput) -> list[str]:
    return [key for key in payments.calls if key.startswith(f"case-{case.case_id}:")]


def merchant(case: CaseInput, action: Action, **fields: object) -> ActionRequest:
    return ActionRequest(action=action, role=Role.MERCHANT, actor_id=case.shop_id, **fields)  # type: ignore[arg-type]
