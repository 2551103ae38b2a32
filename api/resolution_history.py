"""How each resolution of the §7 menu fared before: the history `rulebook.ranking.rank` orders the menu by.

Read from the database, platform-wide, over the `HISTORY_CASES` most recently closed cases of the same kind:
- the resolution a case closed with is its last decision's `resolution` (a merchant's choice from the menu), or
  else the first of the decision's `resolutions` (what the rule book executed, e.g. R-STALL's urge + coupon);
  a case that closed without either (withdrawn, rejected outright) counts for no option;
- a success is a case that closed `resolved` with no `escalated` event on its timeline. (Buyers cannot reopen a
  case, so product.md's "without the buyer reopening" holds for every closed case.)
The exception kind of each past case is computed as for the current one (a stalled perishable order is a
disrupted route), so the two menus of `logistics_stalled` keep separate histories.
"""

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from activities.facts import listing_policy
from models.case import Case
from models.order import Order
from models.timeline import CaseEvent
from rulebook.enums import FINAL_STATUSES, CaseKind, CaseStatus, ExceptionKind, Resolution
from rulebook.ranking import History, exception_kind, succeeded

HISTORY_CASES = 5000
DECISION, ESCALATED = "decision_made", "escalated"


async def resolution_history(session: AsyncSession, kind: CaseKind) -> History:
    closed = (
        select(Case.case_id)
        .where(Case.kind == kind, col(Case.status).in_(FINAL_STATUSES))
        .order_by(col(Case.updated_at).desc())
        .limit(HISTORY_CASES)
    )
    cases = await session.exec(
        select(Case.case_id, Case.status, Order.items)
        .join(Order, col(Order.order_id) == col(Case.order_id))
        .where(col(Case.case_id).in_(closed))
    )
    events = await session.exec(
        select(CaseEvent.case_id, CaseEvent.type, CaseEvent.data)
        .where(col(CaseEvent.case_id).in_(closed), col(CaseEvent.type).in_((DECISION, ESCALATED)))
        .order_by(col(CaseEvent.case_id), col(CaseEvent.seq))
    )
    closed_with: dict[str, Resolution | None] = {}  # by the case's last decision
    escalated: set[str] = set()
    for case_id, event_type, data in events.all():
        if event_type == ESCALATED:
            escalated.add(case_id)
        else:
            closed_with[case_id] = _resolution(data)
    tally: dict[tuple[ExceptionKind, Resolution], list[int]] = defaultdict(lambda: [0, 0])
    for case_id, status, items in cases.all():
        menu_kind = exception_kind(kind, listing_policy(items).perishable)
        resolution = closed_with.get(case_id)
        if menu_kind is None or resolution is None:
            continue
        record = tally[(menu_kind, resolution)]
        record[0] += succeeded(CaseStatus(status), case_id in escalated)
        record[1] += 1
    return {key: (successes, total) for key, (successes, total) in tally.items()}


def _resolution(data: Mapping[str, Any]) -> Resolution | None:
    chosen = data.get("resolution") or next(iter(data.get("resolutions") or ()), None)
    try:
        return Resolution(chosen) if chosen else None
    except ValueError:
        return None
