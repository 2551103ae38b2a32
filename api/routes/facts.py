"""A case's facts for the merchant and the agent, with what the rule book says about them now.

The facts are gathered by the very code the workflow's activity runs (`FactsActivities.load_case_facts`), with
the case's own timers, thresholds and deadline policy (fixed when it opened, on its `case_opened` event; today's
settings only for a case opened before they were recorded there), so the agent starts from the findings the rules
would make on this case.
"""

import dataclasses

from fastapi import APIRouter
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from activities.facts import FactsActivities
from api import minimise
from api.case_workflow import case_input
from api.deps import SessionDep, SessionsDep, SettingsDep, StaffDep, VisibleCaseDep, release_connection
from api.routes.evidence import evidence_of
from api.schemas.facts import (
    BuyerMessage,
    CaseFactsPublic,
    OrderFacts,
    Recommendation,
    ShipmentFacts,
    TrackingEventPublic,
)
from models.case import Case
from models.order import Order, Shipment
from models.timeline import CaseEvent
from rulebook import packets
from rulebook.decide import recommend
from rulebook.enums import Role
from rulebook.facts import CaseFacts
from rulebook.rules.shipment import stalled_event
from settings import Settings
from workflows import starting
from workflows.messages import CaseInput

router = APIRouter(prefix="/cases/{case_id}", tags=["facts"])


@router.get("/facts")
async def get_facts(
    staff: StaffDep, case: VisibleCaseDep, session: SessionDep, sessions: SessionsDep, settings: SettingsDep
) -> CaseFactsPublic:
    """The order with its listing snapshot, tracking (the event it stalled on marked), the buyer's messages,
    the evidence, and the rule book's recommendation on these facts."""
    opened_with = await own_settings(session, case, settings)
    await release_connection(session)  # the loader takes a connection of its own: one at a time, or a full pool waits
    facts = await FactsActivities(sessions).load_case_facts(opened_with)
    decision = recommend(facts)
    return CaseFactsPublic(
        case_id=case.case_id,
        kind=case.kind,
        status=case.status,
        reason=case.reason,
        description=case.description,
        amount_cents=facts.amount_cents,
        paid_cents=facts.paid_cents,
        refunded_cents=facts.refunded_cents,
        shipment=facts.shipment,
        delivered_at=facts.delivered_at,
        listing_policy=dataclasses.asdict(facts.policy),
        order=await _order(session, case, staff.role),
        tracking=_tracking(facts),
        buyer_messages=await _buyer_messages(session, case),
        evidence=await evidence_of(session, case.case_id),
        recommendation=Recommendation(
            outcome=decision.outcome,
            amount_cents=decision.amount_cents,
            rules=list(decision.rules),
            rationale_zh=decision.rationale_zh,
            rationale_en=decision.rationale_en,
            findings=list(decision.findings),
            evidence_ids=list(decision.evidence_ids),
            urgent=decision.urgent,
        ),
    )


async def own_settings(session: AsyncSession, case: Case, settings: Settings) -> CaseInput:
    """The case's input with the settings it opened with (its `case_opened` event); today's where it has none."""
    first = select(CaseEvent).where(CaseEvent.case_id == case.case_id, CaseEvent.type == "case_opened")
    opened = (await session.exec(first.order_by(col(CaseEvent.seq)).limit(1))).first()
    fixed = opened.data.get("settings") if opened is not None else None
    if not isinstance(fixed, dict):
        return case_input(case, settings)
    timers, thresholds, deadlines = packets.settings_of(fixed)
    return starting.case_input(case, timers, thresholds, deadlines, settings.history_events_limit)


def _tracking(facts: CaseFacts) -> list[TrackingEventPublic]:
    stalled = stalled_event(facts.tracking, facts.now, facts.timers.stall)
    return [
        TrackingEventPublic(
            status=event.status,
            at=event.at,
            location=event.location,
            proof_kind=event.proof_kind,
            proof_ref=event.proof_ref,
            stalled=event is stalled,
        )
        for event in facts.tracking
    ]


async def _order(session: AsyncSession, case: Case, role: Role) -> OrderFacts:
    order = await session.get(Order, case.order_id)
    assert order is not None  # a case's order is a foreign key
    shipments = await session.exec(
        select(Shipment).where(Shipment.order_id == order.order_id).order_by(col(Shipment.created_at))
    )
    return OrderFacts(
        **order.model_dump(include={"order_id", "buyer_id", "shop_id", "total_cents", "paid_at", "ship_by"}),
        items=order.items,
        shipping_address=minimise.shipping_address(order.shipping_address, role, case.kind),
        shipments=[ShipmentFacts.model_validate(s, from_attributes=True) for s in shipments.all()],
    )


async def _buyer_messages(session: AsyncSession, case: Case) -> list[BuyerMessage]:
    rows = await session.exec(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.case_id, CaseEvent.type == "message", CaseEvent.actor_role == Role.BUYER)
        .order_by(col(CaseEvent.seq))
    )
    return [BuyerMessage(seq=e.seq, at=e.at, text=str(e.data.get("text") or "")) for e in rows.all()]
