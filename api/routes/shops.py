"""A shop's after-sales settings: its default return address, read by its merchants and agents, changed by its
merchants. An approval of a return or an exchange without `return_address` uses it (`api/return_address.py`)."""

from fastapi import APIRouter
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from api.deps import CallerDep, SessionDep
from api.errors import NotFound
from api.schemas.shops import ShopSettingsIn, ShopSettingsPublic
from models.shop_settings import ShopSettings
from models.types import utcnow
from rulebook.enums import Role

router = APIRouter(prefix="/shops/{shop_id}", tags=["shops"])


def _check_reach(shop_id: str, caller: CallerDep, change: bool) -> None:
    """A merchant reaches only their own shop; an agent may read any. Out of reach is 404, as for cases."""
    own = caller.role == Role.MERCHANT and caller.shop_id == shop_id
    if not (own or (caller.role == Role.AGENT and not change)):
        raise NotFound(f"no shop {shop_id}")


@router.get("/settings")
async def get_settings(shop_id: str, caller: CallerDep, session: SessionDep) -> ShopSettingsPublic:
    _check_reach(shop_id, caller, change=False)
    stored = await session.get(ShopSettings, shop_id)
    return ShopSettingsPublic(shop_id=shop_id, return_address=stored.return_address if stored else None)


@router.put("/settings")
async def put_settings(
    shop_id: str, body: ShopSettingsIn, caller: CallerDep, session: SessionDep
) -> ShopSettingsPublic:
    _check_reach(shop_id, caller, change=True)
    try:
        await _store(session, shop_id, body.return_address)
    except IntegrityError:  # a concurrent first PUT of this shop inserted the row: this one updates it
        await session.rollback()
        await _store(session, shop_id, body.return_address)
    return ShopSettingsPublic(shop_id=shop_id, return_address=body.return_address)


async def _store(session: AsyncSession, shop_id: str, return_address: str | None) -> None:
    stored = await session.get(ShopSettings, shop_id) or ShopSettings(shop_id=shop_id)
    stored.return_address, stored.updated_at = return_address, utcnow()
    session.add(stored)
    await session.commit()
