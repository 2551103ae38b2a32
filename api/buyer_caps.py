"""Per-buyer caps on the flows a buyer could abuse (reliability.md ABUSE-01): opening case after case on one order,
and withdrawing request after request. Both are settings; past them the answer is 429 with a code of its own."""

from datetime import timedelta

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.errors import ApiError
from models.case import Case
from models.timeline import CaseEvent
from models.types import utcnow
from rulebook.enums import Role
from settings import Settings

WITHDRAWAL_WINDOW = timedelta(hours=24)


class TooMany(ApiError):
    status, code = 429, "too_many_requests"


async def check_opening(session: AsyncSession, settings: Settings, buyer_id: str, order_id: str) -> None:
    counted = select(func.count()).select_from(Case).where(Case.buyer_id == buyer_id, Case.order_id == order_id)
    opened = (await session.exec(counted)).one()
    if opened >= settings.cases_per_order:
        raise TooMany(
            f"at most {settings.cases_per_order} requests may be opened on one order",
            code="too_many_cases",
            limit=settings.cases_per_order,
        )


async def check_withdrawal(session: AsyncSession, settings: Settings, buyer_id: str) -> None:
    since = utcnow() - WITHDRAWAL_WINDOW
    counted = (
        select(func.count())
        .select_from(CaseEvent)
        .where(
            CaseEvent.type == "withdrawn",
            CaseEvent.actor_role == Role.BUYER,
            CaseEvent.actor_id == buyer_id,
            CaseEvent.at >= since,
        )
    )
    withdrawn = (await session.exec(counted)).one()
    if withdrawn >= settings.withdrawals_per_day:
        raise TooMany(
            f"at most {settings.withdrawals_per_day} requests may be withdrawn in 24 hours",
            code="too_many_withdrawals",
            limit=settings.withdrawals_per_day,
        )
