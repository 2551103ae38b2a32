"""Stores a case step: appends its events to the hash chain, updates the projection, queues the messages (and
registers the case's return or replacement parcel, so the logistics feed's events find the case).

The workflow is the only writer of a case's timeline and numbers the events itself, so a retried
activity finds its events already there and stores nothing twice. A stored event is taken for the step's own only
if it is that event (its hash, computed after the stored previous one, is the stored hash): an event another run
stored at that seq (a `temporal workflow reset` starts a run that numbers again from the reset point) is refused
with a non-retryable `timeline_diverged` error, and the run records the divergence (`record_divergence`) instead of
carrying on as if its step were stored.

Each transaction that appends events also stores a checkpoint of the new head, signed with a key the database never
sees (`models/checkpoint.py`), so `/verify` catches a chain appended to, truncated or rewritten in the database.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.counters import CaseCounters
from activities.notices import notices_for
from models.case import Case
from models.checkpoint import CheckpointKeys
from models.db import transaction
from models.decision_packet import DecisionPacketRow
from models.evidence import Evidence
from models.notification import Notification
from models.order import Order, Shipment
from models.timeline import GENESIS, CaseEvent, canonical, chain_hash
from rulebook import packets
from rulebook.enums import CaseKind, CaseStatus, EvidenceKind, Party, Role, ShipmentDirection
from workflows.divergence import TIMELINE_DIVERGED, DivergenceNote, DivergenceRecorded
from workflows.messages import PLATFORM_ID, CaseShipment, EventDraft, StepRecord


class CaseRecorder:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        counters: CaseCounters | None = None,
        checkpoint_keys: CheckpointKeys | None = None,
    ) -> None:
        """`checkpoint_keys` sign each step's checkpoint (settings `AFTERSALES_CHECKPOINT_KEYS`); without them, the
        development key (tests)."""
        self._sessions = sessions
        self._counters = counters or CaseCounters()
        self._keys = checkpoint_keys or CheckpointKeys.development()

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
                if seq <= case.event_count:  # stored before: by an earlier attempt of this activity, or not
                    stored = select(CaseEvent).where(CaseEvent.case_id == case.case_id, CaseEvent.seq == seq)
                    event = (await session.exec(stored)).one()
                    if event.hash != _chained_after(event.prev_hash, case.case_id, seq, draft):
                        raise self._diverged(case, step, event)
                    hashes.append(event.hash)
                    continue
                if seq != case.event_count + 1:
                    raise ApplicationError(
                        f"event {seq} would leave a gap after {case.event_count}", non_retryable=True
                    )
                event = append(session, case, seq, draft)
                _file_system_evidence(session, case, event, on_file)
                hashes.append(event.hash)
                appended.append(event)
            if appended:
                seal(session, case, self._keys)
            for shipment in step.shipments:
                await _register(session, case, shipment)
            await _store_packets(session, case, step, appended)
            p = step.projection
            case.status, case.awaiting, case.deadline = p.status, p.awaiting, p.deadline
            case.decision, case.proposal, case.updated_at = p.decision, p.proposal, p.updated_at
            case.urgent = p.urgent
            case.open_key = None if p.status.is_final else case.open_key
            session.add(case)
            kind = case.kind
        self._counters.recorded(kind, appended)
        return hashes

    def _diverged(self, case: Case, step: StepRecord, stored: CaseEvent) -> ApplicationError:
        """Another run stored event `stored.seq`: this step is not on the timeline and must not be taken for it."""
        details = {"stored_events": case.event_count, "head_hash": case.head_hash, "first_seq": step.first_seq}
        activity.logger.warning(
            "case %s: step numbered from %d refused, event %d (%s) was stored by another run; %d events stored",
            case.case_id,
            step.first_seq,
            stored.seq,
            stored.type,
            case.event_count,
        )
        self._counters.diverged(case.kind)
        return ApplicationError(
            f"event {stored.seq} of case {case.case_id} is another run's {stored.type!r}, not this step's",
            details,
            type=TIMELINE_DIVERGED,
            non_retryable=True,
        )

    @activity.defn
    async def record_divergence(self, note: DivergenceNote) -> DivergenceRecorded:
        """Puts one `timeline_diverged` event at the stored head, naming the run and the steps it attempted, and
        hands the case to an agent (in arbitration, urgent, `note.deadline`). Once per (run, first seq): a retry,
        or the same note again, answers the event stored the first time."""
        async with transaction(self._sessions) as session:
            case = await session.get(Case, note.case_id, with_for_update=True)
            if case is None:
                raise ApplicationError(f"no case {note.case_id}", type="case_not_found", non_retryable=True)
            earlier = select(CaseEvent).where(CaseEvent.case_id == case.case_id, CaseEvent.type == TIMELINE_DIVERGED)
            for event in (await session.exec(earlier)).all():
                if (event.data.get("run_id"), event.data.get("first_seq")) == (note.run_id, note.first_seq):
                    return DivergenceRecorded(event.seq, event.hash, await _hashes(session, note, event.seq))
            data = {
                "run_id": note.run_id,
                "first_seq": note.first_seq,
                "attempted": list(note.attempted_types),
                "stored_events": case.event_count,
                "status_before": str(case.status),
            }
            draft = EventDraft(TIMELINE_DIVERGED, Role.SYSTEM, PLATFORM_ID, note.at, data)
            event = append(session, case, case.event_count + 1, draft)
            seal(session, case, self._keys)
            case.status, case.awaiting, case.deadline = CaseStatus.IN_ARBITRATION, Party.AGENT, note.deadline
            case.urgent, case.updated_at = True, note.at
            session.add(case)
            hashes = (*await _hashes(session, note, event.seq - 1), event.hash)
        activity.logger.warning(
            "case %s: run %s diverged from the timeline at %d (%s); handed to an agent at event %d",
            note.case_id,
            note.run_id,
            note.first_seq,
            ", ".join(note.attempted_types),
            event.seq,
        )
        return DivergenceRecorded(event.seq, event.hash, hashes)


async def _hashes(session: AsyncSession, note: DivergenceNote, last: int) -> tuple[str, ...]:
    """The stored events' hashes from the note's first seq to `last`."""
    query = (
        select(CaseEvent.hash)
        .where(CaseEvent.case_id == note.case_id, col(CaseEvent.seq) >= note.first_seq, col(CaseEvent.seq) <= last)
        .order_by(col(CaseEvent.seq))
    )
    return tuple((await session.exec(query)).all())


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


async def _store_packets(session: AsyncSession, case: Case, step: StepRecord, appended: Sequence[CaseEvent]) -> None:
    """The decision packets of the step's newly appended events, write-once beside them (rulebook/packets.py): each
    under the SHA-256 its event names, which must be the hash of its canonical bytes."""
    if not step.packets:
        return
    carried = {packet.sha256: packet for packet in step.packets}
    for event in appended:
        sha = event.data.get("packet_sha256")
        packet = carried.get(sha) if isinstance(sha, str) else None
        if packet is None:
            continue
        body = packets.canonical(packet.body)
        if packets.sha256(packet.body) != sha:
            raise ApplicationError(f"packet of event {event.seq} is not {sha}", type="bad_packet", non_retryable=True)
        if await session.get(DecisionPacketRow, (case.case_id, sha)) is None:
            row = DecisionPacketRow(
                case_id=case.case_id,
                sha256=sha,
                seq=event.seq,
                event_type=event.type,
                made_at=event.at,
                body=body.decode("utf-8"),
            )
            session.add(row)


def append(session: AsyncSession, case: Case, seq: int, draft: EventDraft) -> CaseEvent:
    """Chains event `seq` after the case's head, queues its messages and moves the head."""
    event = _chained(case, seq, draft)
    session.add(event)
    _queue_notices(session, case, event)
    case.event_count, case.head_hash = seq, event.hash
    return event


def seal(session: AsyncSession, case: Case, keys: CheckpointKeys) -> None:
    """Stores a signed checkpoint of the case's head as it now stands: once per transaction that appended events,
    in that transaction, so no event is stored without a checkpoint that covers it."""
    session.add(keys.sign(case.case_id, case.event_count, case.head_hash, datetime.now(UTC)))


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


def _chained_after(prev_hash: str, case_id: str, seq: int, draft: EventDraft) -> str:
    """The hash `draft` has as event `seq` after `prev_hash` (models/timeline.py)."""
    body = canonical(case_id, seq, draft.type, draft.actor_role, draft.actor_id, draft.at, draft.data)
    return chain_hash(prev_hash, body)


def _chained(case: Case, seq: int, draft: EventDraft) -> CaseEvent:
    prev = case.head_hash or GENESIS
    return CaseEvent(
        case_id=case.case_id,
        seq=seq,
        type=draft.type,
        actor_role=draft.actor_role,
        actor_id=draft.actor_id,
        at=draft.at,
        data=draft.data,
        prev_hash=prev,
        hash=_chained_after(prev, case.case_id, seq, draft),
    )


def _queue_notices(session: AsyncSession, case: Case, event: CaseEvent) -> None:
    recipients = {Party.BUYER: case.buyer_id, Party.MERCHANT: case.shop_id, Party.AGENT: "*"}
    context = {**event.data, "order_id": case.order_id, "actor_role": event.actor_role, "case_kind": str(case.kind)}
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
