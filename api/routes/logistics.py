"""Tracking events from the logistics feed (role `system`). A repeated event is accepted and stored once.

An event of a case's own parcel (a buyer's return, an exchange's replacement) is also sent to that case's workflow,
which puts it on the timeline and may move the case on; a repeated event is sent again (in case the first send
was lost) and changes nothing there.
"""

from fastapi import APIRouter
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.case_workflow import send_tracking
from api.deps import SessionDep, SystemDep, TemporalDep, release_connection
from api.errors import NotFound, documented
from api.idempotency import IDEMPOTENT, IdempotentRoute
from api.schemas.orders import TrackingAccepted, TrackingEventIn
from api.text import shown
from models import tracking
from models.case import Case
from models.order import Shipment, TrackingEventRow
from workflows.messages import TrackingUpdate

router = APIRouter(prefix="/logistics", tags=["integration"], route_class=IdempotentRoute)


@router.post("/events", status_code=202, dependencies=IDEMPOTENT, responses=documented(413, 503))
async def add_tracking_event(
    body: TrackingEventIn, _caller: SystemDep, session: SessionDep, client: TemporalDep
) -> TrackingAccepted:
    known = (await session.exec(select(Shipment.id).where(Shipment.tracking_no == body.tracking_no).limit(1))).first()
    if known is None:
        raise NotFound(f"no shipment with tracking number {shown(body.tracking_no)}")
    duplicate = await _store(session, body)
    update = TrackingUpdate(body.tracking_no, body.status, body.at, body.location)
    cases = await _open_cases(session, body.tracking_no)
    await release_connection(session)
    for case in cases:
        await send_tracking(client, case, update)
    return TrackingAccepted(duplicate=duplicate)


async def _store(session: AsyncSession, body: TrackingEventIn) -> bool:
    """Stores the event; True when the feed sent it before (unique on number, status and time)."""
    proof = body.proof
    session.add(
        TrackingEventRow(
            tracking_no=body.tracking_no,
            status=body.status,
            location=body.location,
            at=body.at,
            proof_kind=proof.kind if proof else None,
            proof_ref=proof.ref if proof else None,
        )
    )
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        return True
    await tracking.refresh(session, body.tracking_no)
    await session.commit()
    return False


async def _open_cases(session: AsyncSession, tracking_no: str) -> list[Case]:
    """The open cases whose return or replacement parcel has this tracking number."""
    parcels = select(Shipment.case_id).where(Shipment.tracking_no == tracking_no, col(Shipment.case_id).is_not(None))
    rows = await session.exec(select(Case).where(col(Case.case_id).in_(parcels)))
    return [case for case in rows.all() if not case.status.is_final]
