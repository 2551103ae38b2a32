"""Stores a case step: appends its events to the hash chain, updates the projection, queues the messages (and
registers the case's return or replacement parcel, so the logistics feed's events find the case).

The workflow is the only writer of a case's timeline and numbers the events itself, so a retried
activity finds its events already there and stores nothing twice.
"""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.counters import CaseCounters
from activities.notices import notices_for
from models.case import Case
from models.db import transaction
from models.evidence import Evidence
from models.notification import Notification
from models.order import Order, Shipment
from models.timeline import GENESIS, CaseEvent, canonical, chain_hash
from rulebook.enums import CaseKind, CaseStatus, EvidenceKind, Party, Role, ShipmentDirection
from workflows.messages import PLATFORM_ID, CaseShipment, EventDraft, StepRecord


class CaseRecorder:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], counters: CaseCounters | None = None) -> None:
        self._sessions = sessions
        self._counters = counters or CaseCounters()

    @activity.defn
    async def record_step(self, step: StepRecord) -> list[str]:
        """Stores the step; answers the hashes of its events, which the workflow keeps as the chain's anchor in
        Temporal's own record of the case, out of this database's reach."""
        hashes: list[str] = []
        appended: list[CaseEvent] = []
        async with transaction(self._sessions) as session:
            case = await session.get(Case, step.case_id, with_for_update=True)
            if case is None:
                raise ApplicationError(f"no case {step.case_id}", type="case_not_found", non_retryable=True)
            if case.status == CaseStatus.CANCELLED:
                return []  # closed from outside (activities/closing.py): a step still in flight then stores nothing
            on_file = await _evidence_on_file(session, step.events)
            for seq, draft in enumerate(step.events, start=step.first_seq):
                if seq <= case.event_count:  # stored by an earlier attempt of this activity
                    stored = select(CaseEvent.hash).where(CaseEvent.case_id == case.case_id, CaseEvent.seq == seq)
                    hashes.append((await session.exec(stored)).one())
                    continue
                if seq != case.event_count + 1:
                    raise ApplicationError(
                        f"event {seq} would leave a gap after {case.event_count}", non_retryable=True
                    )
                event = append(session, case, seq, draft)
                _file_system_evidence(session, case, event, on_file)
                hashes.append(event.hash)
                appended.append(event)
            for shipment in step.shipments:
                await _register(session, case, shipment)
            p = step.projection
            case.status, case.awaiting, case.deadline = p.status, p.awaiting, p.deadline
            case.decision, case.proposal, case.updated_at = p.decision, p.proposal, p.updated_at
            case.urgent = p.urgent
            case.open_key = None if p.status.is_final else case.open_key
            session.add(case)
            kind = case.kind
        self._counters.recorded(kind, appended)
        return hashes


async def _register(session: AsyncSession, case: Case, parcel: CaseShipment) -> None:
    """Stores the case's parcel once (a retried step finds it there). A number already known is left as it is, but
    the order's own parcel, intercepted for the case, becomes the case's so the logistics feed forwards its events."""
    known = select(Shipment).where(Shipment.carrier == parcel.carrier, Shipment.tracking_no == parcel.tracking_no)
    shipment = (await session.exec(known)).first()
    if shipment is not None:
        if shipment.case_id is None and shipment.order_id == case.order_id:
            shipment.case_id = case.case_id
            session.add(shipment)
        return
    if case.kind == CaseKind.OVERSOLD and parcel.direction == ShipmentDirection.REPLACEMENT:
        order = await session.get(Order, case.order_id)  # the emergency transfer's parcel ships the order itself
        if order is not None:
            order.shipment_pending = False
            session.add(order)
    session.add(
        Shipment(
            order_id=case.order_id,
            case_id=case.case_id,
            direction=parcel.direction,
            carrier=parcel.carrier,
            tracking_no=parcel.tracking_no,
        )
    )


def append(session: AsyncSession, case: Case, seq: int, draft: EventDraft) -> CaseEvent:
    """Chains event `seq` after the case's head, queues its messages and moves the head."""
    event = _chained(case, seq, draft)
    session.add(event)
    _queue_notices(session, case, event)
    case.event_count, case.head_hash = seq, event.hash
    return event


async def _evidence_on_file(session: AsyncSession, events: Sequence[EventDraft]) -> set[str]:
    """The `system` evidence the step's events carry that is on file already (an earlier step cited it)."""
    carried = {item["evidence_id"] for draft in events for item in draft.data.get("system_evidence") or ()}
    if not carried:
        return set()
    on_file = select(Evidence.evidence_id).where(col(Evidence.evidence_id).in_(carried))
    return set((await session.exec(on_file)).all())


def _file_system_evidence(session: AsyncSession, case: Case, event: CaseEvent, on_file: set[str]) -> None:
    """The `system` evidence items an event carries join the case's evidence list (workflows/system_evidence.py)."""
    for item in event.data.get("system_evidence") or ():
        if item["evidence_id"] in on_file:
            continue
        on_file.add(item["evidence_id"])
        session.add(
            Evidence(
                evidence_id=item["evidence_id"],
                case_id=case.case_id,
                kind=EvidenceKind.SYSTEM,
                sha256=item["sha256"],
                size_bytes=item["size_bytes"],
                media_type=item["media_type"],
                storage_key="",
                note=item["source"],
                uploaded_by_role=Role.SYSTEM,
                uploaded_by_id=PLATFORM_ID,
                created_at=event.at,
                content=item["content"],
            )
        )


def _chained(case: Case, seq: int, draft: EventDraft) -> CaseEvent:
    prev = case.head_hash or GENESIS
    body = canonical(case.case_id, seq, draft.type, draft.actor_role, draft.actor_id, draft.at, draft.data)
    return CaseEvent(
        case_id=case.case_id,
        seq=seq,
        type=draft.type,
        actor_role=draft.actor_role,
        actor_id=draft.actor_id,
        at=draft.at,
        data=draft.data,
        prev_hash=prev,
        hash=chain_hash(prev, body),
    )


def _queue_notices(session: AsyncSession, case: Case, event: CaseEvent) -> None:
    recipients = {Party.BUYER: case.buyer_id, Party.MERCHANT: case.shop_id, Party.AGENT: "*"}
    context = {**event.data, "order_id": case.order_id, "actor_role": event.actor_role}
    for notice in notices_for(event.type, context):
        session.add(
            Notification(
                case_id=case.case_id,
                event_seq=event.seq,
                recipient_role=notice.to,
                recipient_id=recipients[notice.to],
                text_zh=notice.zh,
                text_en=notice.en,
                created_at=event.at,
            )
        )
