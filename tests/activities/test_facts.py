"""The facts activity gathers what the rule book decides on, from the database."""

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import ActivityEnvironment

from activities.facts import FactsActivities
from models.db import transaction
from models.timeline import CaseEvent
from models.types import utcnow
from rulebook.enums import Claim, Party, ShipmentState
from rulebook.facts import Statement
from tests.builders import add_case, add_order

Sessions = async_sessionmaker[AsyncSession]


async def test_facts_carry_the_order_shipment_and_what_the_parties_said(sessions: Sessions) -> None:
    order = await add_order(sessions, total_cents=12900)
    case = await add_case(sessions, order, amount_cents=5000)
    said = [
        ("message", "buyer", {"text": "孩子等着玩"}),
        ("merchant_rejected", "merchant", {"reason": "吊牌已拆", "claims": [Claim.WORN, Claim.TAGS_REMOVED]}),
    ]
    async with transaction(sessions) as session:
        for seq, (type_, role, data) in enumerate(said, start=1):
            at = utcnow()
            session.add(
                CaseEvent(
                    case_id=case.case_id,
                    seq=seq,
                    type=type_,
                    actor_role=role,
                    actor_id="x",
                    at=at,
                    data=data,
                    prev_hash="",
                    hash="",
                )
            )

    facts = await ActivityEnvironment().run(FactsActivities(sessions).load_case_facts, case)

    assert (facts.paid_cents, facts.amount_cents, facts.refunded_cents) == (12900, 5000, 0)
    assert facts.shipment == ShipmentState.DELIVERED and facts.delivered_at is not None
    assert facts.statements == (
        Statement(Party.BUYER, "message", "孩子等着玩"),
        Statement(Party.MERCHANT, Claim.WORN, "吊牌已拆"),
        Statement(Party.MERCHANT, Claim.TAGS_REMOVED, "吊牌已拆"),
    )
    assert facts.thresholds == case.thresholds and facts.timers == case.timers


async def test_an_order_without_a_shipment_is_not_shipped(sessions: Sessions) -> None:
    case = await add_case(sessions, await add_order(sessions, shipped=False))
    facts = await ActivityEnvironment().run(FactsActivities(sessions).load_case_facts, case)
    assert (facts.shipment, facts.delivered_at, facts.tracking) == (ShipmentState.NOT_SHIPPED, None, ())
