"""Object-level authorization in the query itself: a caller's statements only ever reach its own rows."""

from typing import TypeVar

from sqlalchemy import false
from sqlmodel.sql.expression import SelectOfScalar

from api.auth import Caller
from models.case import Case
from models.order import Order
from rulebook.enums import Role

T = TypeVar("T")


def visible_cases(statement: SelectOfScalar[T], caller: Caller) -> SelectOfScalar[T]:
    """Buyers see their own cases, merchants their shop's, agents and the system all."""
    if caller.role == Role.BUYER:
        return statement.where(Case.buyer_id == caller.id)
    if caller.role == Role.MERCHANT:
        return statement.where(Case.shop_id == caller.shop_id) if caller.shop_id else statement.where(false())
    return statement


def visible_orders(statement: SelectOfScalar[T], caller: Caller) -> SelectOfScalar[T]:
    if caller.role == Role.BUYER:
        return statement.where(Order.buyer_id == caller.id)
    if caller.role == Role.MERCHANT:
        return statement.where(Order.shop_id == caller.shop_id) if caller.shop_id else statement.where(false())
    return statement
