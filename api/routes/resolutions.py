"""The merchant's resolution menu for an order exception (product.md §7), ranked by how each option fared before."""

from fastapi import APIRouter

from activities.facts import listing_policy
from api.deps import SessionDep, StaffDep, VisibleCaseDep
from api.resolution_history import resolution_history
from api.schemas.facts import ResolutionMenu, ResolutionOption
from models.order import Order
from rulebook.ranking import exception_kind, rank

router = APIRouter(prefix="/cases/{case_id}", tags=["facts"])


@router.get("/resolutions")
async def get_resolutions(_staff: StaffDep, case: VisibleCaseDep, session: SessionDep) -> ResolutionMenu:
    """Each option with its success rate (closed `resolved` without escalation) and sample size, best first;
    urgent cases get the fastest fixes first. A case that is not an order exception has an empty menu."""
    order = await session.get(Order, case.order_id)
    kind = exception_kind(case.kind, listing_policy(order.items if order else [], case.items).perishable)
    if kind is None:
        return ResolutionMenu(case_id=case.case_id, exception_kind=None, urgent=case.urgent, items=[])
    ranked = rank(kind, await resolution_history(session, case.kind), urgent=case.urgent)
    items = [ResolutionOption.model_validate(r, from_attributes=True) for r in ranked]
    return ResolutionMenu(case_id=case.case_id, exception_kind=kind, urgent=case.urgent, items=items)
