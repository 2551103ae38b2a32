"""Progress messages to the caller (product.md §3), Chinese by default, English on request."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query
from pydantic import AwareDatetime, BaseModel
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from api.auth import Caller
from api.deps import CallerDep, SessionDep
from models.notification import Notification
from rulebook.enums import Role

router = APIRouter(tags=["notifications"])

Lang = Literal["zh", "en"]


class NotificationPublic(BaseModel):
    id: int
    case_id: str
    text: str
    created_at: datetime


class Notifications(BaseModel):
    items: list[NotificationPublic]


@router.get("/notifications")
async def list_notifications(
    caller: CallerDep,
    session: SessionDep,
    since: AwareDatetime | None = None,
    lang: Lang | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    accept_language: Annotated[str | None, Header()] = None,
) -> Notifications:
    """Messages to the caller after `since`, oldest first (newest last)."""
    statement = _addressed_to(caller)
    if since is not None:
        statement = statement.where(col(Notification.created_at) > since)
    statement = statement.order_by(col(Notification.created_at), col(Notification.id)).limit(limit)
    english = (lang or _preferred(accept_language)) == "en"
    rows = (await session.exec(statement)).all()
    items = [
        NotificationPublic(
            id=n.id or 0, case_id=n.case_id, text=n.text_en if english else n.text_zh, created_at=n.created_at
        )
        for n in rows
    ]
    return Notifications(items=items)


def _addressed_to(caller: Caller) -> SelectOfScalar[Notification]:
    statement = select(Notification).where(Notification.recipient_role == str(caller.role))
    if caller.role == Role.AGENT:
        return statement
    recipient = caller.shop_id if caller.role == Role.MERCHANT else caller.id
    return statement.where(Notification.recipient_id == recipient)


def _preferred(accept_language: str | None) -> Lang:
    first = (accept_language or "").split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "zh"
