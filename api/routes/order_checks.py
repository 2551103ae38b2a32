"""Entry checks on a draft order (`POST /orders/check`): "是不是填错了?" warnings from the buyer's own history
(`rulebook/entry_checks.py`). Synchronous, read-only, no case. A buyer checks their own draft; the system any."""

import dataclasses
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth import Caller
from api.deps import SessionDep, role_in
from api.errors import Forbidden, documented
from api.idempotency import IDEMPOTENT, IdempotentRoute
from api.language import Lang, wants_english
from api.schemas.orders import EntryCheck, EntryWarningPublic, OrderDraft
from models.order import Order
from models.order_line import OrderLine, size_of
from rulebook.entry_checks import DraftItem, address_warning, size_warnings
from rulebook.enums import Role

router = APIRouter(prefix="/orders", tags=["integration"], route_class=IdempotentRoute)
ADDRESSES_READ = 20  # the buyer's latest orders an address is compared with
SIZES_READ = 200  # the buyer's latest lines in the draft's categories

CheckerDep = Annotated[Caller, Depends(role_in(Role.BUYER, Role.SYSTEM))]


@router.post("/check", dependencies=IDEMPOTENT, responses=documented(413))
async def check_order(
    draft: OrderDraft,
    caller: CheckerDep,
    session: SessionDep,
    lang: Lang | None = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> EntryCheck:
    if caller.role == Role.BUYER and caller.id != draft.buyer_id:
        raise Forbidden("a buyer checks only their own draft")
    english = wants_english(lang, accept_language)
    address = draft.shipping_address.model_dump()
    warnings = []
    if not address["unit"]:
        unit = address_warning(address, await _addresses(session, draft.buyer_id), english)
        warnings += [unit] if unit else []
    items = [DraftItem(item.category, size_of(item.spec)) for item in draft.items]
    categories = {item.category for item in items if item.category and item.size}
    if categories:
        warnings += size_warnings(items, await _sizes(session, draft.buyer_id, categories), english)
    return EntryCheck(warnings=[EntryWarningPublic(**dataclasses.asdict(w)) for w in warnings])


async def _addresses(session: AsyncSession, buyer_id: str) -> list[Mapping[str, Any]]:
    rows = await session.exec(
        select(Order.shipping_address)
        .where(Order.buyer_id == buyer_id)
        .order_by(col(Order.created_at).desc())
        .limit(ADDRESSES_READ)
    )
    return list(rows.all())


async def _sizes(session: AsyncSession, buyer_id: str, categories: set[str]) -> dict[str, list[str]]:
    rows = await session.exec(
        select(OrderLine.category, OrderLine.size)
        .where(OrderLine.buyer_id == buyer_id, col(OrderLine.category).in_(categories))
        .order_by(col(OrderLine.created_at).desc())
        .limit(SIZES_READ)
    )
    sizes: dict[str, list[str]] = {}
    for category, size in rows.all():
        sizes.setdefault(category, []).append(size)
    return sizes
