"""Progress messages to the caller (product.md §3), Chinese by default, English on request."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, Field
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from api import message_cursor
from api.auth import Caller
from api.deps import CallerDep, SessionDep
from api.schemas.orders import Instant
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
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the messages written after these (also those of the same instant)."
    )


@router.get("/notifications")
async def list_notifications(
    caller: CallerDep,
    session: SessionDep,
    since: Instant | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    lang: Lang | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    accept_language: Annotated[str | None, Header()] = None,
) -> Notifications:
    """Messages to the caller, newest last. Without `cursor` (or `since`): the latest `limit`; with the
    `next_cursor` of an earlier answer: the next ones written after it, none skipped. `since` (a time) is kept
    for older clients: messages strictly after it."""
    statement = _addressed_to(caller)
    if cursor is not None:
        statement = message_cursor.after(statement, cursor)
    elif since is not None:
        statement = statement.where(col(Notification.created_at) > since)
    rows = await _page(session, statement, limit, latest=cursor is None and since is None)
    english = (lang or _preferred(accept_language)) == "en"
    items = [
        NotificationPublic(
            id=n.id or 0, case_id=n.case_id, text=n.text_en if english else n.text_zh, created_at=n.created_at
        )
        for n in rows
    ]
    next_cursor = message_cursor.encode(rows[-1]) if rows else cursor
    return Notifications(items=items, next_cursor=next_cursor)


async def _page(
    session: SessionDep, statement: SelectOfScalar[Notification], limit: int, *, latest: bool
) -> list[Notification]:
    oldest_first = (col(Notification.created_at), col(Notification.id))
    if not latest:
        return list((await session.exec(statement.order_by(*oldest_first).limit(limit))).all())
    newest_first = statement.order_by(*(column.desc() for column in oldest_first)).limit(limit)
    return list(reversed((await session.exec(newest_first)).all()))


def _addressed_to(caller: Caller) -> SelectOfScalar[Notification]:
    statement = select(Notification).where(Notification.recipient_role == str(caller.role))
    if caller.role == Role.AGENT:
        return statement
    recipient = caller.shop_id if caller.role == Role.MERCHANT else caller.id
    return statement.where(Notification.recipient_id == recipient)


def _preferred(accept_language: str | None) -> Lang:
    first = (accept_language or "").split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "zh"
