"""What the tracking feed last said of a parcel, kept on its shipment row so the stall scan filters in SQL.

`refresh` recomputes it from the stored events (so an event arriving late or twice changes nothing wrong) and is
called wherever tracking events or shipments are stored.
"""

from sqlalchemy import exists, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.order import Shipment, TrackingEventRow
from rulebook.rules.shipment import FINAL_TRACKING


async def refresh(session: AsyncSession, tracking_no: str) -> None:
    """Sets the parcel's `last_event_at` and `tracking_final` from its events (within the caller's transaction)."""
    of_parcel = col(TrackingEventRow.tracking_no) == tracking_no
    last_at = select(func.max(TrackingEventRow.at)).where(of_parcel).scalar_subquery()
    final = exists().where(of_parcel, col(TrackingEventRow.status).in_(FINAL_TRACKING))
    await session.exec(
        update(Shipment)
        .where(col(Shipment.tracking_no) == tracking_no)
        .values(last_event_at=last_at, tracking_final=final)
    )
