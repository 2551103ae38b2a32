"""Keyset pages over cases: urgent ones first (R-URGENT raises them in every queue), then soonest deadline
(no deadline last), then oldest, then by id.

The cursor is the sort key of the last case served, base64url JSON, opaque to clients.
"""

import base64
import binascii
import json
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col
from sqlmodel.sql.expression import SelectOfScalar

from api.errors import Unprocessable
from models.case import Case

T = TypeVar("T")


def ordered(statement: SelectOfScalar[T]) -> SelectOfScalar[T]:
    return statement.order_by(
        col(Case.urgent).desc(),
        col(Case.deadline).asc().nulls_last(),
        col(Case.created_at).asc(),
        col(Case.case_id).asc(),
    )


def encode(case: Case) -> str:
    key = [case.urgent, case.deadline.isoformat() if case.deadline else None, case.created_at.isoformat(), case.case_id]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def after(statement: SelectOfScalar[T], cursor: str) -> SelectOfScalar[T]:
    """The cases that sort after the one the cursor names."""
    urgent, deadline, created_at, case_id = _decode(cursor)
    later = or_(
        col(Case.created_at) > created_at, and_(col(Case.created_at) == created_at, col(Case.case_id) > case_id)
    )
    if deadline is None:
        same_urgency: ColumnElement[bool] = and_(col(Case.deadline).is_(None), later)
    else:
        same_urgency = or_(
            col(Case.deadline).is_(None),
            col(Case.deadline) > deadline,
            and_(col(Case.deadline) == deadline, later),
        )
    if urgent:  # every case that is not urgent comes after any urgent one
        return statement.where(or_(col(Case.urgent).is_(False), and_(col(Case.urgent).is_(True), same_urgency)))
    return statement.where(col(Case.urgent).is_(False), same_urgency)


def _decode(cursor: str) -> tuple[bool, datetime | None, datetime, str]:
    try:
        raw: Any = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        urgent, deadline, created_at, case_id = raw
        key = (bool(urgent), _aware(deadline) if deadline is not None else None, _aware(created_at), str(case_id))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise Unprocessable("the cursor is not one this API gave out", code="invalid_cursor") from error
    return key


def _aware(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("cursor times carry their zone")
    return value
