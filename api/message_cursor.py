"""Keyset pages over a caller's messages: ordered by (created_at, id), so messages written in the same instant
(one step's messages share its time) are never cut apart by a page. The cursor is opaque base64url JSON."""

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import col
from sqlmodel.sql.expression import SelectOfScalar

from api.errors import Unprocessable
from models.notification import Notification


def encode(message: Notification) -> str:
    key = [message.created_at.isoformat(), message.id]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def after(statement: SelectOfScalar[Notification], cursor: str) -> SelectOfScalar[Notification]:
    created_at, message_id = _decode(cursor)
    same_instant_later = and_(col(Notification.created_at) == created_at, col(Notification.id) > message_id)
    return statement.where(or_(col(Notification.created_at) > created_at, same_instant_later))


def _decode(cursor: str) -> tuple[datetime, int]:
    try:
        raw: Any = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        created_at, message_id = raw
        at = datetime.fromisoformat(created_at)
        if at.tzinfo is None:
            raise ValueError("cursor times carry their zone")
        return at, int(message_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise Unprocessable("the cursor is not one this API gave out", code="invalid_cursor") from error
