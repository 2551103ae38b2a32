"""Returns go somewhere: an approval of a return or an exchange without `return_address` takes the shop's default;
with neither, it is refused (422) rather than telling the buyer to send the goods back to nowhere."""

import dataclasses

from sqlmodel.ext.asyncio.session import AsyncSession

from api.errors import Unprocessable
from models.case import Case
from models.shop_settings import ShopSettings
from rulebook.enums import Action
from rulebook.returns import RETURN_KINDS
from workflows.messages import ActionRequest


async def with_return_address(session: AsyncSession, case: Case, command: ActionRequest) -> ActionRequest:
    if command.action != Action.APPROVE or case.kind not in RETURN_KINDS or command.return_address:
        return command
    settings = await session.get(ShopSettings, case.shop_id)
    if settings is None or not settings.return_address:
        raise Unprocessable(
            "approving a return needs return_address, or a default return address in the shop's settings "
            f"(PUT /shops/{case.shop_id}/settings)",
            code="return_address_required",
        )
    return dataclasses.replace(command, return_address=settings.return_address)
