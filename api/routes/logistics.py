"""Tracking events from the logistics feed (role `system`). A repeated event is accepted and stored once."""

from fastapi import APIRouter
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from api.deps import SessionDep, SystemDep
from api.errors import NotFound, documented
from api.idempotency import IDEMPOTENT, IdempotentRoute
from api.schemas.orders import TrackingAccepted, TrackingEventIn
from models.order import Shipment, TrackingEventRow

router = APIRouter(prefix="/logistics", tags=["integration"], route_class=IdempotentRoute)


@router.post("/events", status_code=202, dependencies=IDEMPOTENT, responses=documented(413))
async def add_tracking_event(body: TrackingEventIn, _caller: SystemDep, session: SessionDep) -> TrackingAccepted:
    known = (await session.exec(select(Shipment.id).where(Shipment.tracking_no == body.tracking_no).limit(1))).first()
    if known is None:
        raise NotFound(f"no shipment with tracking number {body.tracking_no}")
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
        await session.commit()
    except IntegrityError:  # unique (tracking_no, status, at): the feed sent it before
        await session.rollback()
        return TrackingAccepted(duplicate=True)
    return TrackingAccepted(duplicate=False)
